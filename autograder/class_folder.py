"""Finding a class's submissions as instructors have them, each with a stable student identity.

Accepted inputs, each argument on its own:

- a notebook file: the student is the file's stem;
- Gradescope's "Download Submissions" export: a folder with ``submission_metadata.yml``, whose top-level keys
  are the submission folders (``submission_<id>``), each with ``:submitters:`` (``:name:``, ``:sid:``,
  ``:email:``); the id seeds the hidden inputs exactly as on Gradescope;
- nbgrader's layout: ``submitted/<student>/<assignment>/*.ipynb`` (the course folder or ``submitted`` itself);
- any other folder, searched for notebooks: a notebook in a subfolder belongs to that subfolder's name
  (``alice/gradient_descent.ipynb`` is alice's), one at the top to its stem.

Nothing is executed or unpickled here: the metadata is read with ``yaml.safe_load``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gdkit.autograder.gradescope.submission_files import find_files, wrong_submission_reason

GRADESCOPE_METADATA = "submission_metadata.yml"
MAX_NAME = 60


class InputError(Exception):
    """An argument that names no submission: a usage error, shown to the instructor as is."""


@dataclass(frozen=True)
class Entry:
    """One submission to grade."""

    path: Path  # the notebook (or the submission folder when it holds no single notebook)
    student: str  # display name, stable across reruns
    student_id: str = ""  # email / SID / nbgrader folder when known
    submission_id: str | None = None  # Gradescope's submission id
    problem: str = ""  # why it cannot be graded, found before grading (e.g. no notebook in the folder)

    @property
    def key(self) -> str:
        """What makes two runs' submissions the same one: Gradescope's submission id, else the notebook's
        resolved path. An output folder belongs to one key across runs."""
        return f"gradescope:{self.submission_id}" if self.submission_id else str(self.path.resolve())

    def identity(self) -> dict:
        """The identity fields of results.json's extra_data."""
        return {"student": self.student, "student_id": self.student_id, "submission": str(self.path),
                "submission_id": self.submission_id}


def find_submissions(arguments: list[str]) -> list[Entry]:
    """The submissions named by the command line's arguments, in the order given (folders sorted)."""
    entries: list[Entry] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_file():
            entries.append(Entry(path, path.stem))
        elif path.is_dir():
            entries.extend(_folder(path))
        elif path.exists():
            raise InputError(f"not a notebook file or a folder: {argument}")
        else:
            raise InputError(f"no such file or folder: {argument}")
    seen: set[Path] = set()
    unique = []
    for entry in entries:  # the same notebook named twice (a file and its folder, two spellings) is graded once
        key = entry.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    return unique


def _folder(folder: Path) -> list[Entry]:
    if (folder / GRADESCOPE_METADATA).is_file():
        return gradescope_export(folder)
    if folder.name == "submitted":
        return nbgrader(folder)
    if (folder / "submitted").is_dir():
        return nbgrader(folder / "submitted")
    entries = []
    for notebook in _notebooks(folder):
        relative = notebook.relative_to(folder)
        student = relative.parts[0] if len(relative.parts) > 1 else notebook.stem
        entries.append(Entry(notebook, student))
    return entries


def _notebooks(folder: Path) -> list[Path]:
    """The notebooks under ``folder``, by Gradescope's rules (no checkpoints, no symbolic links), and none in
    hidden folders (a .venv, .git ... are nobody's submission)."""
    notebooks, _ = find_files(folder)
    return [n for n in notebooks if not any(part.startswith(".") for part in n.relative_to(folder).parent.parts)]


def gradescope_export(folder: Path) -> list[Entry]:
    """Gradescope's "Download Submissions" export: one entry per submission listed in its metadata."""
    import yaml  # only for a Gradescope export: a class of plain notebooks is listed without it

    try:
        metadata = yaml.safe_load((folder / GRADESCOPE_METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read {folder / GRADESCOPE_METADATA}: {exc}") from exc
    if not isinstance(metadata, dict):
        raise InputError(f"{folder / GRADESCOPE_METADATA} is not a Gradescope export's metadata (no submissions)")
    entries = []
    for key in sorted(metadata, key=str):
        info = metadata[key] if isinstance(metadata[key], dict) else {}
        submitters = [s for s in info.get(":submitters") or [] if isinstance(s, dict)]
        names = [str(s.get(":name") or s.get(":email") or s.get(":sid") or "").strip() for s in submitters]
        student = " & ".join(n for n in names if n) or str(key)
        ids = [str(s.get(":email") or s.get(":sid") or "").strip() for s in submitters]
        student_id = " & ".join(i for i in ids if i)
        match = re.fullmatch(r"submission_(\d+)", str(key))
        submission_id = match.group(1) if match else (str(info[":id"]) if info.get(":id") is not None else None)
        where = folder / str(key)
        if not where.is_dir() or Path(str(key)).name != str(key):
            entries.append(Entry(where, student, student_id, submission_id,
                                 f"the export has no folder {str(key)!r} for this submission"))
            continue
        notebooks, found = find_files(where)
        if len(notebooks) == 1:
            entries.append(Entry(notebooks[0], student, student_id, submission_id))
        else:
            entries.append(Entry(where, student, student_id, submission_id,
                                 wrong_submission_reason(notebooks, found, where)))
    return entries


def nbgrader(submitted: Path) -> list[Entry]:
    """nbgrader's ``submitted/<student>/<assignment>/<notebook>.ipynb``: the student is the folder's name."""
    entries = []
    for student in sorted(p for p in submitted.iterdir() if p.is_dir() and not p.is_symlink()):
        for notebook in _notebooks(student):
            entries.append(Entry(notebook, student.name, student.name))
    return entries


def folder_names(entries: list[Entry]) -> list[str]:
    """One output folder name per entry: the sanitised student identity (plus the Gradescope submission id),
    made unique in the order given (name-2, name-3 ...). Only letters, digits, '.', '_' and '-', never starting
    with '.' or '-', so no name can leave --out or read as an option."""
    used: set[str] = set()
    names = []
    for entry in entries:
        base = sanitise(entry.student)
        if entry.submission_id:
            base = f"{base}-{sanitise(entry.submission_id)}"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name)
        names.append(name)
    return names


def sanitise(text: str) -> str:
    """``text`` as a safe, readable file name (``Ada Lovelace`` -> ``Ada_Lovelace``, ``..`` -> ``submission``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")[:MAX_NAME].strip("._-")
    return name or "submission"
