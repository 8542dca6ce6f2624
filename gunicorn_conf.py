"""gunicorn settings for registry: ``gunicorn -c gunicorn_conf.py -w 4 wsgi:app``.

Only what the Prometheus metrics need when several workers serve (docs/OPERATIONS.md): with
``PROMETHEUS_MULTIPROC_DIR`` set, each worker writes its figures to files in that directory and
a scrape of ``/metrics`` adds them up. The files of an earlier run are removed when gunicorn
reads this file, at start and before the app is loaded (``--preload`` loads it before any
server hook runs), since old workers' counts would otherwise be added forever; a worker that
exits is marked dead so that its gauges leave the live sums.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _fresh_metrics_dir() -> None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()


_fresh_metrics_dir()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
