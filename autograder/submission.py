"""Reading a submitted notebook into the code cells to run, or a clear reason why it cannot be graded.

Only parsing happens here, in the grading process: nothing of the submission is executed or unpickled.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 20 * 1024 * 1024


class SubmissionError(Exception):
    """The submission cannot be graded; the message is shown to the student as the reason for a zero."""


@dataclass(frozen=True)
class Submission:
    path: Path
    cells: tuple[str, ...]  # code cell sources, in notebook order
    sha256: str


def load_submission(path: Path) -> Submission:
    """Parse ``path`` as a Jupyter notebook (nbformat 3 or 4, with or without a BOM) and keep its code cells."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SubmissionError(f"cannot read {path.name}: {exc.strerror}") from exc
    if size > MAX_BYTES:
        raise SubmissionError(
            f"{path.name} is {size / 2**20:.1f} MB, over the {MAX_BYTES // 2**20} MB limit: clear the outputs "
            "(Kernel > Restart & Clear Output) and submit again"
        )
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{path.name} is not a text file (not UTF-8): is it really a .ipynb notebook?") from exc
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise SubmissionError(f"{path.name} is nested too deeply to be a notebook") from exc
    except ValueError as exc:
        raise SubmissionError(
            f"{path.name} is not valid notebook JSON ({exc}): download it again from Jupyter "
            "(File > Download) rather than editing it by hand"
        ) from exc
    if not isinstance(data, dict) or "nbformat" not in data:
        raise SubmissionError(f"{path.name} is JSON but not a Jupyter notebook (no 'nbformat' field)")
    nb = data if _is_v4(data) else _upgraded(data, path)
    cells = tuple(
        cell.get("source", "") if isinstance(cell.get("source", ""), str) else "".join(cell["source"])
        for cell in nb.get("cells", [])
        if isinstance(cell, dict) and cell.get("cell_type") == "code"
    )
    if not any(source.strip() for source in cells):
        raise SubmissionError(f"{path.name} has no code cells: nothing to grade")
    return Submission(path, cells, digest)


def _is_v4(data: dict) -> bool:
    """A version-4 notebook whose cells can be read as they are: the common case needs no conversion."""
    return data.get("nbformat") == 4 and isinstance(data.get("cells"), list)


def _upgraded(data: dict, path: Path) -> dict:
    """An older or odd notebook converted by nbformat (imported only here: it costs a grade 0.08 s to load)."""
    import nbformat

    try:
        return nbformat.reads(json.dumps(data), as_version=4)
    except Exception as exc:  # nbformat raises many kinds for malformed notebooks
        raise SubmissionError(f"{path.name} is not a readable notebook: {type(exc).__name__}: {exc}") from exc
