"""Dossier uploads: what is kept, what is refused and why (rules in registry.storage)."""

from __future__ import annotations

import io
import os
import random
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from registry import storage
from registry.errors import RegistryError
from registry.storage import (
    StoredFile,
    UploadRejected,
    delete_stored,
    path_of,
    save_upload,
    send_stored,
)

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
PE = b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode.\r\r\n$" + b"\0" * 64


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(out, format="JPEG", quality=85)
    return out.getvalue()


def pdf_bytes() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Don de nghi cap giay phep")
    return bytes(pdf.output())


def pypdf_bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pdf_writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    return writer


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_chunk(kind: bytes, body: bytes) -> bytes:
    """A valid PNG with one more chunk inserted just before IEND."""
    data = png_bytes()
    return data[:-12] + png_chunk(kind, body) + data[-12:]


def jpeg_with_segment(marker: int, body: bytes) -> bytes:
    data = jpeg_bytes()
    segment = bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body
    return data[:2] + segment + data[2:]


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("run.sh", "#!/bin/sh\necho owned\n")
    return out.getvalue()


def pdf_then_zip() -> bytes:
    """A PDF, then a ZIP, then a copy of the PDF's startxref and %%EOF: PDF readers still open
    it (they read from the end) and so do ZIP readers (they look for the end record)."""
    pdf = pdf_bytes()
    tail = pdf[pdf.rindex(b"startxref") :]
    data = pdf + zip_bytes() + b"\n" + tail
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["run.sh"]
    return data


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/pdf")


@pytest.fixture
def store(app, tmp_path):
    old = app.config.get("STORAGE_DIR")
    app.config["STORAGE_DIR"] = str(tmp_path / "shared")
    with app.test_request_context():
        yield tmp_path / "shared"
    app.config["STORAGE_DIR"] = old


# --- accepted --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "name", "mime"),
    [
        (pdf_bytes, "Đơn đề nghị (mẫu 09).pdf", "application/pdf"),
        (jpeg_bytes, "ảnh mặt bằng.JPG", "image/jpeg"),
        (jpeg_bytes, "scan.jpeg", "image/jpeg"),
        (png_bytes, "so-do.png", "image/png"),
    ],
)
def test_valid_files_are_kept_under_a_random_key(store, make, name, mime):
    data = make()
    stored = save_upload(upload(data, name))
    assert stored.mime == mime
    assert stored.size == len(data)
    assert stored.original_name == name
    assert len(stored.key) == 32
    path = path_of(stored.key)
    assert path.read_bytes() == data
    assert path.is_relative_to(store.resolve())
    assert name not in str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".part")]


def test_same_content_twice_gets_two_keys_and_the_same_digest(store):
    first = save_upload(upload(png_bytes(), "a.png"))
    second = save_upload(upload(png_bytes(), "a.png"))
    assert first.key != second.key
    assert first.sha256 == second.sha256


def test_pdf_with_ordinary_content_is_kept(store):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.add_metadata({"/Title": "Hồ sơ"})
    writer.add_uri(0, "https://dichvucong.gov.vn", [10, 10, 50, 50])  # a plain link is fine
    assert save_upload(upload(pypdf_bytes(writer), "hoso.pdf")).mime == "application/pdf"


def test_scan_like_files_with_compressed_data_and_metadata_are_kept(store):
    noise = random.Random(7).randbytes(600 * 600 * 3)
    photo = Image.frombytes("RGB", (600, 600), noise)
    exif = Image.Exif()
    exif[0x0110] = "Scanner X"  # Model
    jpeg = io.BytesIO()
    photo.save(jpeg, format="JPEG", quality=95, exif=exif)
    assert save_upload(upload(jpeg.getvalue() + b"\0" * 16, "scan.jpg")).mime == "image/jpeg"
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(jpeg.getvalue()), x=10, y=10, w=150)
    assert save_upload(upload(bytes(pdf.output()), "scan.pdf")).size > 100_000


def test_script_deep_inside_a_pdf_is_found(store):
    data = handmade_pdf(b"/X (" + b"a" * 4000 + b"<SCRIPT>alert(1)</SCRIPT>)")
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(data, "a.pdf"))
    assert caught.value.reason == "polyglot"


def test_png_with_ordinary_text_metadata_is_kept(store):
    data = png_with_chunk(b"tEXt", b"Software\0scanner 1.0")
    assert save_upload(upload(data, "scan.png")).mime == "image/png"


def test_name_is_normalised_for_display(store):
    decomposed = "Đơn đề nghị.pdf".replace("ơ", "o\u031b")
    stored = save_upload(upload(pdf_bytes(), f"  {decomposed} "))
    assert stored.original_name == "Đơn đề nghị.pdf"


# --- the acceptance cases --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (ELF, "giay-phep.pdf"),
        (PE, "anh.png"),
        (PE, "anh.jpg"),
        (zip_bytes(), "hoso.pdf"),
        (b"#!/bin/sh\nrm -rf /\n", "ban-ve.png"),
        (b"<html><script>alert(1)</script></html>", "don.pdf"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "anh.png"),
    ],
    ids=["elf-as-pdf", "exe-as-png", "exe-as-jpg", "zip-as-pdf", "script", "html", "gif"],
)
def test_renamed_executable_or_other_format_is_rejected(store, data, name):
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(data, name))
    assert caught.value.reason == "type"
    assert not store.exists() or not list(store.rglob("*"))


def test_oversize_file_is_rejected_at_the_configured_limit(app, store):
    limit = app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    assert limit == 20 * 1024 * 1024
    data = pdf_bytes()
    padded = data + b" " * (limit - len(data))
    assert save_upload(upload(padded, "vua-du.pdf")).size == limit
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(padded + b" ", "qua-lon.pdf"))
    assert caught.value.reason == "size"
    assert "20" in caught.value.message


def test_explicit_limit_overrides_the_config(store):
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(png_bytes(), "a.png"), max_bytes=100)
    assert caught.value.reason == "size"


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.png",
        "..\\..\\windows\\win.ini.png",
        "/etc/cron.d/x.png",
        "C:\\Users\\an\\so-do.png",
        "so-do.png\x00.php",
        "so\ndo.png",
        "so\u202egnp.png",  # right-to-left override
        "..",
        "",
        "   ",
        "a" * 252 + ".png",
    ],
)
def test_path_traversal_or_control_names_are_rejected(store, name):
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(png_bytes(), name))
    assert caught.value.reason == "name"
    assert not store.exists() or not list(store.rglob("*"))


def test_no_filename_at_all_is_rejected(store):
    with pytest.raises(UploadRejected) as caught:
        save_upload(FileStorage(stream=io.BytesIO(png_bytes()), filename=None))
    assert caught.value.reason == "name"


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        # Appended after the end of the real file.
        (png_bytes() + pdf_bytes(), "a.png", "trailing"),
        (png_bytes() + b"<script>alert(1)</script>", "a.png", "trailing"),
        (jpeg_bytes() + zip_bytes(), "a.jpg", "polyglot"),  # the ZIP end record first
        (pdf_bytes() + ELF, "a.pdf", "trailing"),
        (pdf_bytes() + PE, "a.pdf", "trailing"),
        # A second format inside the image's metadata.
        (png_with_chunk(b"tEXt", b"Comment\0<script>alert(1)</script>"), "a.png", "polyglot"),
        (
            png_with_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"<html>x</html>")),
            "a.png",
            "polyglot",
        ),
        (png_with_chunk(b"prVt", pdf_bytes()), "a.png", "polyglot"),
        (png_with_chunk(b"prVt", zip_bytes()), "a.png", "polyglot"),
        (png_with_chunk(b"prVt", ELF), "a.png", "polyglot"),
        (jpeg_with_segment(0xFE, b"<?php system($_GET['c']); ?>"), "a.jpg", "polyglot"),
        (jpeg_with_segment(0xE1, b"Exif\0\0" + pdf_bytes()), "a.jpg", "polyglot"),
        # A PDF that is also HTML, or hides a ZIP before a final %%EOF.
        (pdf_bytes().replace(b"\n", b"\n%<html><body onload=x()>\n", 1), "a.pdf", "polyglot"),
        (pdf_then_zip(), "a.pdf", "polyglot"),
        (pdf_bytes() + b"\n" + pdf_bytes(), "a.pdf", "polyglot"),
    ],
    ids=[
        "png+pdf",
        "png+script",
        "jpeg+zip",
        "pdf+elf",
        "pdf+exe",
        "png-text-script",
        "png-ztxt-html",
        "png-chunk-pdf",
        "png-chunk-zip",
        "png-chunk-elf",
        "jpeg-comment-php",
        "jpeg-exif-pdf",
        "pdf-html",
        "pdf-zip-eof",
        "pdf-pdf",
    ],
)
def test_polyglot_files_are_rejected(store, data, name, reason):
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(data, name))
    assert caught.value.reason == reason
    assert not store.exists() or not list(store.rglob("*"))


def test_pdf_header_must_be_at_the_start(store):
    # Readers accept a header within the first 1024 bytes; that slack is what polyglots use.
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(b"JUNK" * 4 + pdf_bytes(), "a.pdf"))
    assert caught.value.reason == "type"


@pytest.mark.parametrize(
    "add",
    [
        lambda w: w.add_open_action(JavaScript("app.alert('x');")),
        lambda w: w.add_attachment("virus.exe", ELF),
    ],
    ids=["javascript", "attachment"],
)
def test_pdf_with_active_content_is_rejected(store, add):
    writer = blank_pdf_writer()
    add(writer)
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(pypdf_bytes(writer), "a.pdf"))
    assert caught.value.reason == "active"


def handmade_pdf(catalog_extra: bytes = b"") -> bytes:
    """A one-page PDF written by hand, with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_handmade_pdf_is_kept(store):
    assert save_upload(upload(handmade_pdf(), "a.pdf")).mime == "application/pdf"


@pytest.mark.parametrize(
    "extra",
    [
        b"/OpenAction << /S /L#61unch /F (cmd.exe) >>",  # /Launch behind a #xx escape
        b"/OpenAction << /S /JavaScript /J#53 (app.alert(1)) >>",
        b"/AcroForm << /Fields [] /XFA (x) >>",
        b"/Names << /EmbeddedFiles << /Names [] >> >>",
    ],
    ids=["launch-escaped", "js-escaped", "xfa", "embedded-files"],
)
def test_pdf_active_content_is_found_behind_name_escapes(store, extra):
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(handmade_pdf(extra), "a.pdf"))
    assert caught.value.reason == "active"


def test_encrypted_pdf_is_rejected(store):
    writer = blank_pdf_writer()
    writer.encrypt("secret", algorithm="RC4-128")
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(pypdf_bytes(writer), "a.pdf"))
    assert caught.value.reason == "encrypted"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (png_bytes()[:-30] + png_bytes()[-12:], "cut.png"),
        (png_bytes()[:40], "cut.png"),
        (png_bytes()[:33] + b"\0" * 4 + png_bytes()[37:], "crc.png"),
        (jpeg_bytes()[: len(jpeg_bytes()) // 2], "cut.jpg"),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "empty.pdf"),
        (pdf_bytes()[:-200] + b"%%EOF\n", "cut.pdf"),
        (b"%PDF-1.4\nnot really", "bad.pdf"),
    ],
)
def test_damaged_files_are_rejected(store, data, name):
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(data, name))
    assert caught.value.reason == "damaged"


def test_empty_file_is_rejected(store):
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(b"", "a.pdf"))
    assert caught.value.reason == "empty"


@pytest.mark.parametrize(
    ("make", "name"), [(png_bytes, "a.pdf"), (pdf_bytes, "a.png"), (jpeg_bytes, "a")]
)
def test_extension_must_match_the_content(store, make, name):
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(make(), name))
    assert caught.value.reason == "extension"


def test_image_with_too_many_pixels_is_rejected(store, monkeypatch):
    monkeypatch.setattr(storage, "MAX_PIXELS", 100)
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(png_bytes(), "a.png"))
    assert caught.value.reason == "pixels"


# --- keys, serving, storage location ---------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "0" * 31,
        "0" * 33,
        "A" * 32,
        "0" * 30 + "/x",
        "0" * 32 + "\n",
        "",
        None,
    ],
)
def test_path_of_refuses_anything_but_a_stored_key(store, key):
    with pytest.raises(ValueError, match="key"):
        path_of(key)


def test_send_stored_serves_an_attachment_with_nosniff(store):
    data = pdf_bytes()
    stored = save_upload(upload(data, "Đơn đề nghị.pdf"))
    response = send_stored(stored)
    response.direct_passthrough = False
    assert response.status_code == 200
    assert response.get_data() == data
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''%C4%90%C6%A1n" in disposition
    assert "sandbox" in response.headers["Content-Security-Policy"]
    response.close()


def test_send_stored_refuses_an_altered_or_missing_file(store):
    stored = save_upload(upload(png_bytes(), "a.png"))
    path_of(stored.key).write_bytes(png_bytes((41, 30)))
    with pytest.raises(NotFound):
        send_stored(stored)
    delete_stored(stored.key)
    assert not path_of(stored.key).exists()
    with pytest.raises(NotFound):
        send_stored(stored)
    forged = StoredFile("../../x", "a.png", "image/png", 1, stored.sha256)
    with pytest.raises(NotFound):
        send_stored(forged)


def test_a_second_app_server_reads_what_the_first_wrote(app, store):
    stored = save_upload(upload(jpeg_bytes(), "a.jpg"))
    # Another process with the same configured directory: only the path and key are shared.
    other_instance = app.instance_path
    try:
        app.instance_path = str(Path(other_instance) / "elsewhere")
        assert path_of(stored.key).read_bytes() == jpeg_bytes()
        response = send_stored(stored)
        assert response.status_code == 200
        response.close()
    finally:
        app.instance_path = other_instance


def test_default_directory_is_under_the_instance_folder(app):
    old = app.config.get("STORAGE_DIR")
    app.config["STORAGE_DIR"] = None
    try:
        with app.app_context():
            folder = storage.storage_dir()
        assert folder == (Path(app.instance_path) / "files").resolve()
    finally:
        app.config["STORAGE_DIR"] = old


def test_storage_inside_the_web_root_is_refused(app):
    old = app.config.get("STORAGE_DIR")
    app.config["STORAGE_DIR"] = os.path.join(app.static_folder, "files")
    try:
        with app.app_context(), pytest.raises(RuntimeError, match="web root"):
            storage.storage_dir()
    finally:
        app.config["STORAGE_DIR"] = old


def test_rejection_is_a_registry_error_views_can_show(store):
    with pytest.raises(UploadRejected) as caught:
        save_upload(upload(ELF, "a.pdf"))
    assert caught.value.status_code == 422
    assert caught.value.message


def _refused() -> RegistryError:
    return RegistryError("not a photo", field="photos")


def test_photos_are_kept_as_records_and_empty_fields_skipped(store):
    records = storage.save_photos(
        [
            upload(png_bytes(), "a.png"),
            None,
            FileStorage(filename=""),
            upload(jpeg_bytes(), "b.jpg"),
        ],
        _refused,
    )
    kept = [(r["name"], r["mime"]) for r in records]
    assert kept == [("a.png", "image/png"), ("b.jpg", "image/jpeg")]
    for record in records:
        stored = storage.StoredFile.from_record(record)
        assert stored.as_record() == record
        assert storage.path_of(stored.key).is_file()


def test_a_pdf_among_photos_is_refused_and_the_batch_removed(store):
    with pytest.raises(RegistryError, match="not a photo"):
        storage.save_photos([upload(png_bytes(), "a.png"), upload(pdf_bytes(), "c.pdf")], _refused)
    assert [p for p in store.rglob("*") if p.is_file()] == []


def test_a_rejected_upload_among_photos_removes_the_batch_too(store):
    photos = [upload(png_bytes(), "a.png"), upload(b"MZ\x90\x00", "x.png")]
    with pytest.raises(storage.UploadRejected):
        storage.save_photos(photos, _refused)
    assert [p for p in store.rglob("*") if p.is_file()] == []
