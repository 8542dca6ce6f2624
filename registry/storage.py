"""Stored files (licensing dossiers, inspection photos, investment progress photos):
content-checked uploads kept outside the web root under random keys.

The layout follows ``registry.facilities.imports.uploads`` (a 32-hex random name is the only
handle, files created exclusively with mode 0600 in a 0700 folder); that store keeps short-lived
import files in its own folder with an expiry, so it is mirrored rather than reused. Stored
files live for good in ``STORAGE_DIR`` (default ``<instance>/files``), a
plain directory that several app servers can mount (NFS, SMB, a shared volume): a file is
written under a temporary name, synced and hard-linked into place, so another server never
sees half a file and a key is never overwritten.

What an upload must be to be kept (every rule below is tested):

1. Size: not empty, at most ``MAX_UPLOAD_MB`` (20 MB).
2. Name (shown to people, never used for a path): non-empty, at most 255 characters, no ``/``
   or ``\\``, no control characters, not ``.``/``..``; its extension is ``.pdf``, ``.jpg``,
   ``.jpeg`` or ``.png`` and agrees with the content.
3. Type from content: PDF (``%PDF-1.x``/``%PDF-2.x`` at byte 0), PNG (its 8-byte signature) or
   JPEG (``FF D8 FF``); anything else (an executable, an archive, HTML) is refused.
4. Structure, so nothing rides along: a PNG is a chain of chunks with valid CRCs from IHDR to
   IEND and nothing after IEND; a JPEG is a chain of segments from SOI to EOI and nothing but
   zero padding after EOI; a PDF ends with ``%%EOF`` followed only by white space.
5. It decodes: Pillow opens and fully decodes an image (at most 100 megapixels); pypdf parses a
   PDF strictly, it is not encrypted and has at least one page.
6. No second format inside (a polyglot). No ZIP end record in the last 64 KiB (a ZIP reader
   looks there). The non-pixel parts of an image (every PNG chunk but IDAT, zTXt/iTXt text
   inflated; every JPEG segment but the scan data) contain none of ``%PDF-``, ``<script``,
   ``<html``, ``<!doctype``, ``<svg``, ``<iframe``, ``<?php``, the DOS stub of a Windows
   executable, the ELF or the ZIP signatures. A PDF contains, after its own header, no
   ``%PDF-``, ``<script``, ``<iframe``, ``<!doctype`` or DOS stub anywhere, and none of the
   short HTML/PHP markers in its first or last KiB (where content sniffers look). The whole of
   a PDF's compressed streams is not searched for the 4- and 5-byte markers: random bytes
   would match them in a few per cent of large scans. Text markers match in any case.
   This is defence in depth: downloads are attachments with their checked type, ``nosniff``
   and a sandboxing CSP (``send_stored``), so no browser renders a file as HTML.
7. A PDF has no active content: no object carries ``/JS``, ``/JavaScript``, ``/Launch``,
   ``/EmbeddedFile(s)``, ``/RichMedia``, ``/XFA``, ``/SubmitForm`` or ``/ImportData``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import struct
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import Response, abort, current_app, send_file
from werkzeug.datastructures import FileStorage

from registry.errors import RegistryError
from registry.i18n import _

log = logging.getLogger(__name__)

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",)}
DEFAULT_MAX_MB = 20
MAX_PIXELS = 100_000_000
_KEY = re.compile(r"[0-9a-f]{32}")
_CHUNK = 1024 * 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
# Markers of a second format; matched case-insensitively.
# Markers of a second format: text ones matched in any case (long ones, rare in random
# bytes, searched everywhere; short ones only where the whole part is uncompressed), binary
# ones exactly.
_LONG_TEXT = (b"<script", b"<iframe", b"<!doctype", b"this program cannot be run in dos mode")
_SHORT_TEXT = (b"<html", b"<svg", b"<?php")
_BINARY = (b"%PDF-", b"\x7fELF", b"PK\x03\x04", b"PK\x05\x06")
_SNIFF_WINDOW = 1024
_ZIP_END = b"PK\x05\x06"
_ZIP_TAIL = 65_535 + 22
_PDF_ACTIVE = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/RichMedia",
        "/XFA",
        "/SubmitForm",
        "/ImportData",
    }
)


class UploadRejected(RegistryError):
    """An uploaded file that is not kept; the message says why, in the user's language, and
    ``reason`` names the rule: name, empty, size, type, extension, damaged, trailing,
    polyglot, active, encrypted or pixels."""

    def __init__(self, message: str, *, reason: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.reason = reason


@dataclass(frozen=True)
class StoredFile:
    key: str
    original_name: str
    mime: str
    size: int
    sha256: str

    def as_record(self) -> dict[str, Any]:
        """How a list of photos keeps a file in a JSON column (``from_record`` reads it)."""
        return {
            "key": self.key,
            "name": self.original_name,
            "mime": self.mime,
            "size": self.size,
            "sha256": self.sha256,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> StoredFile:
        return cls(record["key"], record["name"], record["mime"], record["size"], record["sha256"])


#: What a photo may be (a PDF is a document, not a photo).
PHOTO_TYPES = frozenset({JPEG, PNG})


# --- configuration ---------------------------------------------------------------------------


def storage_dir() -> Path:
    """The configured directory, refused when it lies inside the app's static folder."""
    configured = current_app.config.get("STORAGE_DIR")
    folder = Path(configured or Path(current_app.instance_path) / "files").resolve()
    static = current_app.static_folder
    if static and folder.is_relative_to(Path(static).resolve()):
        raise RuntimeError("STORAGE_DIR must lie outside the web root")
    return folder


def max_upload_bytes() -> int:
    return int(current_app.config.get("MAX_UPLOAD_MB") or DEFAULT_MAX_MB) * 1024 * 1024


# --- public API ------------------------------------------------------------------------------


def save_upload(file: FileStorage, *, max_bytes: int | None = None) -> StoredFile:
    """Check an uploaded dossier file (module docstring, rules 1–7) and keep it under a new
    random key; raises UploadRejected with the reason."""
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    name = display_name(file.filename)
    data = _read_limited(file.stream, limit)
    mime = check_content(data, name)
    key = _write(data)
    return StoredFile(key, name, mime, len(data), hashlib.sha256(data).hexdigest())


def save_photos(
    uploads: Sequence[Any], refused: Callable[[], RegistryError]
) -> list[dict[str, Any]]:
    """Check and keep photos (JPEG or PNG, by content like every upload; empty fields of a form
    skipped) as records for a JSON column. Anything else raises ``refused()``, and the photos
    of the same batch already kept are removed with it: all or nothing."""
    kept: list[StoredFile] = []
    try:
        for upload in uploads:
            if upload is None or not getattr(upload, "filename", None):
                continue
            stored = save_upload(upload)
            kept.append(stored)
            if stored.mime not in PHOTO_TYPES:
                raise refused()
    except RegistryError:
        for stored in kept:
            delete_stored(stored.key)
        raise
    return [stored.as_record() for stored in kept]


def path_of(key: str) -> Path:
    """Where a stored file lives; anything but a 32-hex key is refused (no path can be built
    from user input)."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError("not a stored file key")
    return storage_dir() / key[:2] / key


def delete_stored(key: str) -> None:
    """Remove a stored file, e.g. when the transaction that recorded it failed."""
    path_of(key).unlink(missing_ok=True)


def send_stored(stored: StoredFile) -> Response:
    """The file as a download, for views that have checked access themselves; 404 when it is
    missing or no longer matches its recorded SHA-256."""
    try:
        path = path_of(stored.key)
    except ValueError:
        abort(404)
    if stored.mime not in EXTENSIONS or not path.is_file() or _sha256_of(path) != stored.sha256:
        log.error("stored licensing file %s is missing or altered", stored.key)
        abort(404)
    response = send_file(
        path,
        mimetype=stored.mime,
        as_attachment=True,
        download_name=stored.original_name,
        max_age=0,
        conditional=False,
        etag=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def send_stored_audited(stored: StoredFile, audit: Callable[[], None]) -> Response:
    """``send_stored`` read into memory (at most the upload limit, so the file is closed at
    once), calling ``audit`` only when the file is really sent: a file that is gone or
    altered was not downloaded."""
    response = send_stored(stored)
    response.direct_passthrough = False
    data = response.get_data()
    response.close()
    response.set_data(data)
    if response.status_code == 200:
        audit()
    return response


# --- names -----------------------------------------------------------------------------------


def display_name(filename: str | None) -> str:
    """The uploader's file name, for display and as the download name only (rule 2)."""
    name = unicodedata.normalize("NFC", filename or "").strip()
    if not name:
        raise UploadRejected(_("The file has no name."), reason="name")
    if (
        "/" in name
        or "\\" in name
        or name in (".", "..")
        or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name)
    ):
        raise UploadRejected(
            _("The file name may not contain a path or control characters."), reason="name"
        )
    if len(name) > 255:
        raise UploadRejected(_("The file name is too long."), reason="name")
    return name


# --- content checks --------------------------------------------------------------------------


def check_content(data: bytes, name: str) -> str:
    """The MIME type of acceptable content (rules 1, 3–7); raises UploadRejected."""
    if not data:
        raise UploadRejected(_("The file is empty."), reason="empty")
    mime = sniff(data)
    if mime is None:
        raise UploadRejected(_("Only PDF, JPEG and PNG files are accepted."), reason="type")
    if not name.lower().endswith(EXTENSIONS[mime]):
        raise UploadRejected(
            _("The file name's extension does not match its content."), reason="extension"
        )
    if _ZIP_END in data[-_ZIP_TAIL:]:
        raise _polyglot()
    if mime == PNG:
        _check_png(data)
    elif mime == JPEG:
        _check_jpeg(data)
    else:
        _check_pdf(data)
    return mime


def sniff(data: bytes) -> str | None:
    if data.startswith(_PNG_SIGNATURE):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if _PDF_HEADER.match(data):
        return PDF
    return None


def _polyglot() -> UploadRejected:
    return UploadRejected(
        _("The file carries content of another kind and is not accepted."), reason="polyglot"
    )


def _damaged() -> UploadRejected:
    return UploadRejected(
        _("The file is damaged or not a valid PDF, JPEG or PNG file."), reason="damaged"
    )


def _trailing() -> UploadRejected:
    return UploadRejected(
        _("The file has data after its end and is not accepted."), reason="trailing"
    )


def _check_foreign(parts: bytes, markers: tuple[bytes, ...], binary: tuple[bytes, ...]) -> None:
    lowered = parts.lower()
    if any(m in lowered for m in markers) or any(m in parts for m in binary):
        raise _polyglot()


def _check_png(data: bytes) -> None:
    pos, first, ended = len(_PNG_SIGNATURE), True, False
    meta = io.BytesIO()
    while pos < len(data):
        if pos + 12 > len(data):
            raise _damaged()
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            raise _damaged()
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        if zlib.crc32(kind + body) != crc or (first and kind != b"IHDR"):
            raise _damaged()
        first = False
        pos += 12 + length
        if kind == b"IEND":
            ended = True
            break
        if kind != b"IDAT":
            meta.write(kind + body)
            meta.write(_inflate_text(kind, body))
    if not ended:
        raise _damaged()
    if pos != len(data):
        raise _trailing()
    _check_foreign(meta.getvalue(), _LONG_TEXT + _SHORT_TEXT, _BINARY)
    _decode_image(data, "PNG")


def _inflate_text(kind: bytes, body: bytes) -> bytes:
    """The compressed text of zTXt and iTXt chunks, where a payload could hide (bounded)."""
    try:
        if kind == b"zTXt":
            return _inflate(body[body.index(b"\0") + 2 :])
        if kind == b"iTXt":
            keyword_end = body.index(b"\0")
            if body[keyword_end + 1] == 1:
                rest = body[keyword_end + 3 :]
                rest = rest[rest.index(b"\0") + 1 :]  # language tag
                return _inflate(rest[rest.index(b"\0") + 1 :])  # translated keyword
    except (ValueError, IndexError, zlib.error) as exc:
        raise _damaged() from exc
    return b""


def _inflate(body: bytes) -> bytes:
    inflater = zlib.decompressobj()
    out = inflater.decompress(body, 4 * _CHUNK)
    if inflater.unconsumed_tail:
        raise _polyglot()  # a 4 MB metadata text is no dossier scan
    return out


def _check_jpeg(data: bytes) -> None:
    """Walk the segments from SOI (FF D8) to EOI (FF D9); scan data is skipped, every other
    segment is collected for the foreign-content check."""
    pos, meta, end = 2, io.BytesIO(), len(data)
    while True:
        if pos >= end or data[pos] != 0xFF:
            raise _damaged()
        while pos < end and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= end:
            raise _damaged()
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue
        if pos + 2 > end:
            raise _damaged()
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2 or pos + length > end:
            raise _damaged()
        meta.write(data[pos + 2 : pos + length])
        pos += length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= end:
                    raise _damaged()
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    pos += 1 if following == 0xFF else 2
                    continue
                break
    if data[pos:].strip(b"\0"):
        raise _trailing()
    _check_foreign(meta.getvalue(), _LONG_TEXT + _SHORT_TEXT, _BINARY)
    _decode_image(data, "JPEG")


def _decode_image(data: bytes, fmt: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise UploadRejected(_("The image has too many pixels."), reason="pixels")
            image.load()
    except UploadRejected:
        raise
    except (
        OSError,
        SyntaxError,
        ValueError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
    ) as exc:
        raise _damaged() from exc


def _check_pdf(data: bytes) -> None:
    tail = data.rstrip(b" \t\r\n\f\0")
    if not tail.endswith(b"%%EOF"):
        raise _trailing() if b"%%EOF" in data[-_ZIP_TAIL:] else _damaged()
    body = data[5:]  # after its own header
    _check_foreign(body, _LONG_TEXT, (b"%PDF-",))
    _check_foreign(body[:_SNIFF_WINDOW] + b"\0" + body[-_SNIFF_WINDOW:], _SHORT_TEXT, ())
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise UploadRejected(
                _("Password-protected PDF files are not accepted."), reason="encrypted"
            )
        if len(reader.pages) < 1:
            raise _damaged()
        if _pdf_has_active_content(reader):
            raise UploadRejected(
                _("PDF files with scripts, attachments or actions that run are not accepted."),
                reason="active",
            )
    except UploadRejected:
        raise
    except Exception as exc:  # any failure of the parser on hostile input: refuse the file
        raise _damaged() from exc


def _pdf_has_active_content(reader: Any) -> bool:
    """Every object reachable from the cross-reference tables (plain and in object streams),
    plus the trailer, searched for the names of active content. pypdf decodes ``#xx`` escapes
    in names, so ``/J#53`` is ``/JS`` here."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[int] = set()

    def walk(obj: Any, depth: int = 0) -> bool:
        if depth > 64:
            return False
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                return False
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, NameObject):
            return str(obj) in _PDF_ACTIVE
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if str(key) in _PDF_ACTIVE or walk(value, depth + 1):
                    return True
        elif isinstance(obj, ArrayObject):
            return any(walk(item, depth + 1) for item in obj)
        return False

    if walk(reader.trailer):
        return True
    ids: set[int] = set(reader.xref_objStm)
    for table in reader.xref.values():
        ids.update(table)
    for idnum in sorted(ids):
        if idnum in seen:
            continue
        seen.add(idnum)
        if walk(reader.get_object(idnum)):
            return True
    return False


# --- disk ------------------------------------------------------------------------------------


def _read_limited(stream: IO[bytes], limit: int) -> bytes:
    if stream.seekable():
        stream.seek(0)
    buffer = io.BytesIO()
    while chunk := stream.read(_CHUNK):
        buffer.write(chunk)
        if buffer.tell() > limit:
            raise UploadRejected(
                _("The file is larger than %(mb)s MB.", mb=f"{limit / 1024 / 1024:g}"),
                reason="size",
            )
    return buffer.getvalue()


def _write(data: bytes) -> str:
    folder = storage_dir()
    key = secrets.token_hex(16)
    target = folder / key[:2] / key
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = target.with_name(f".{key}.part")
    with temporary.open("xb") as fh:
        temporary.chmod(0o600)
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        try:
            os.link(temporary, target)  # fails rather than overwrite
        except FileExistsError:
            raise
        except OSError:  # a share without hard links: a 128-bit key does not collide
            os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return key


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
