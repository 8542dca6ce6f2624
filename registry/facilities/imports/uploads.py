"""Uploads kept between the preview and the confirmation of an import."""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from registry.facilities.imports.plan import ImportPlan, Preview

_TOKEN = re.compile(r"[0-9a-f]{32}")


class UploadStore:
    """Uploads kept between preview and confirmation, outside the web root, under random
    names. Only an opaque token (kept in the user's session) refers to a file."""

    def __init__(self, folder: str | Path, max_age_s: float = 2 * 3600) -> None:
        self.folder = Path(folder) / "imports"
        self.max_age_s = max_age_s

    def _path(self, token: str, suffix: str) -> Path | None:
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return None
        return self.folder / f"{token}{suffix}"

    def save(self, data: bytes) -> str:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = secrets.token_hex(16)
        path = self.folder / f"{token}.upload"
        with path.open("xb") as fh:
            fh.write(data)
        path.chmod(0o600)
        return token

    def load(self, token: str) -> bytes | None:
        """The stored bytes, or None when the token is unknown or the upload expired."""
        path = self._path(token, ".upload")
        if path is None or not path.is_file():
            return None
        if time.time() - path.stat().st_mtime > self.max_age_s:
            self.discard(token)
            return None
        return path.read_bytes()

    def save_preview(self, token: str, plan: ImportPlan) -> None:
        """What the preview showed: the versions to update and how many duplicates."""
        path = self._path(token, ".json")
        if path is not None and path.with_suffix(".upload").is_file():
            path.write_text(
                json.dumps({"versions": plan.versions(), "duplicates": len(plan.duplicates)}),
                encoding="utf-8",
            )

    def load_preview(self, token: str) -> Preview | None:
        path = self._path(token, ".json")
        if path is None or not path.is_file():
            return None
        loaded = json.loads(path.read_text(encoding="utf-8"))
        return Preview(
            {str(k): int(v) for k, v in loaded["versions"].items()}, int(loaded["duplicates"])
        )

    def discard(self, token: str | None) -> None:
        for suffix in (".upload", ".json"):
            path = self._path(token or "", suffix)
            if path is not None:
                path.unlink(missing_ok=True)

    def purge(self) -> int:
        """Delete abandoned uploads older than the time limit; returns how many."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        cutoff = time.time() - self.max_age_s
        for path in self.folder.iterdir():
            if path.suffix in (".upload", ".json") and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += path.suffix == ".upload"
        return removed
