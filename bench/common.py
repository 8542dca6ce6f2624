"""What the benchmarks share: the machine they ran on and their section of BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
from pathlib import Path

BENCHMARKS_FILE = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"


def machine() -> dict[str, str]:
    """CPU count and model, Python and OS: the figures mean nothing without them."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def write_section(section: str, start: str, end: str, path: Path = BENCHMARKS_FILE) -> None:
    """Replace only the text between ``start`` and ``end`` (``section`` carries both markers),
    appending it when missing and creating the file; other benchmarks' sections stay."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section.rstrip("\n") + "\n" + (("\n" + tail) if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
