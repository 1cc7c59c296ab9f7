"""What a submission folder holds: its notebooks, and what to tell a student who submitted the wrong files.

Light on purpose (no grader imports): ``gdkit grade`` lists a class's submissions before it imports the checks.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

MAX_LISTED = 10


def find_files(submission: Path) -> tuple[list[Path], list[str]]:
    """(the notebooks, every file found) in the submission, recursively; checkpoints and symbolic links are
    not notebooks (a link could point at the grader's own files, which this process can read)."""
    notebooks: list[Path] = []
    found: list[str] = []
    for folder, dirs, files in os.walk(submission):  # does not follow links to folders
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints")
        for name in sorted(files):
            path = Path(folder) / name
            relative = path.relative_to(submission).as_posix()
            if path.is_symlink():
                found.append(f"{relative} (a symbolic link)")
            elif path.suffix.lower() == ".ipynb" and path.is_file():
                notebooks.append(path)
                found.append(relative)
            else:
                found.append(relative)
    return notebooks, found


def _quote(names: list[str]) -> str:
    shown = ", ".join("`" + html.escape(n.replace("`", "'"))[:120] + "`" for n in names[:MAX_LISTED])
    if len(names) > MAX_LISTED:
        shown += f" and {len(names) - MAX_LISTED} more"
    return shown


def wrong_submission_reason(notebooks: list[Path], found: list[str], submission: Path) -> str:
    if not notebooks:
        what = f"found {_quote(found)}" if found else "the submission is empty"
        return (f"no Jupyter notebook (.ipynb file) in your submission: {what}. Submit your notebook file "
                "(File > Download in Jupyter gives the .ipynb)")
    names = [p.relative_to(submission).as_posix() for p in notebooks]
    return (f"your submission has {len(notebooks)} notebooks ({_quote(names)}); submit exactly one .ipynb file, "
            "the one with your answers")
