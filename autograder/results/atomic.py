"""Writing a result file so that a reader never sees half of it: a temporary file in the same folder, then a
rename. One writer for results.json, grades.csv, grading.log, the report pages and the exports."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomically(path: Path, text: str, *, sync: bool = False) -> None:
    """Write ``text`` to ``path`` (its folder created if missing); ``sync`` also flushes it to the disk first
    (results.json: a container stopped right after must still hold the whole file). Raises OSError (disk full
    ...) with nothing left behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
