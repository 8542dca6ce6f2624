"""Fail when a user-facing string lacks its Vietnamese translation.

Extracts the current strings into a temporary template and compares them with the
Vietnamese catalogue: every message must be present, translated and not fuzzy.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "registry" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                sys.executable,
                "-m",
                "babel.messages.frontend",
                "extract",
                "-F",
                str(ROOT / "babel.cfg"),
                "-k",
                "_l",
                "-o",
                str(pot),
                str(ROOT),
            ],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        with pot.open("rb") as fh:
            template = read_po(fh)
    with CATALOGUE.open("rb") as fh:
        catalogue = read_po(fh, locale="vi")
    problems = []
    for message in template:
        if not message.id:
            continue
        found = catalogue.get(message.id, message.context)
        if found is None:
            problems.append(f"missing: {message.id!r} ({_where(message)})")
        elif found.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not _translated(found.string):
            problems.append(f"untranslated: {message.id!r} ({_where(message)})")
    if problems:
        print(f"{len(problems)} string(s) lack a Vietnamese translation:")
        print("\n".join(problems))
        print("Run `make i18n-update`, translate registry/translations/vi/LC_MESSAGES/messages.po")
        return 1
    print(f"i18n: all {sum(1 for m in template if m.id)} strings translated into Vietnamese")
    return 0


def _translated(value: object) -> bool:
    if isinstance(value, (tuple, list)):
        return all(bool(v) for v in value)
    return bool(value)


def _where(message: object) -> str:
    locations = getattr(message, "locations", [])
    return ", ".join(f"{f}:{n}" for f, n in locations[:2])


if __name__ == "__main__":
    sys.exit(main())
