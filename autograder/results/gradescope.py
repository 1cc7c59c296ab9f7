"""Gradescope's results.json: built from a grade report, validated against a schema, written atomically."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from gdkit.autograder.results.atomic import write_text_atomically

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def cells_json(cells) -> list[dict]:
    """The code cells that did not run cleanly, numbered from 1 as the student sees them."""
    return [{"cell": c.index + 1, "status": c.status, "error": " ".join(c.error.split())[:300]}
            for c in cells if c.status != "ok"]


def results_json(report, hidden_visibility: str = "after_published", identity: dict | None = None) -> dict:
    """The results.json document for one graded submission (``report`` is a :class:`GradeReport`).

    ``identity``: who and what was graded (student, student_id, submission, submission_id, fingerprint ...),
    merged into ``extra_data`` (see the contract in the README's "Grading a class")."""
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}; got {hidden_visibility!r}")
    tests = []
    for number, outcome in enumerate(report.outcomes, start=1):
        tests.append({
            "name": outcome.check.title,
            "number": str(number),
            "score": outcome.score,
            "max_score": outcome.check.points,
            "status": "passed" if outcome.passed else "failed",
            "output": outcome.message,
            "output_format": "md",
            "visibility": "visible" if outcome.check.public else hidden_visibility,
            "tags": [outcome.check.function, "public" if outcome.check.public else "hidden"],
        })
    return {
        "score": report.score,
        "execution_time": round(report.seconds, 3),
        "output": report.summary,
        "output_format": "md",
        "test_output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            **(identity or {}),
            "status": report.status, "reason": report.reason,
            "seed": report.seed, "sha256": report.sha256, "gdkit_version": report.version,
            "cells": cells_json(report.cells),
            # a class's results carry the time too (Gradescope's have execution_time; a regrade stays identical)
            **({"seconds": round(report.seconds, 3)} if identity is not None else {}),
        },
        "tests": tests,
    }


def provisional_results(reason: str, identity: dict | None = None) -> dict:
    """Written before grading starts, so that a grader killed midway still leaves a valid file."""
    document = {"score": 0.0, "output": reason, "output_format": "md", "visibility": "visible", "tests": []}
    if identity is not None:
        document["extra_data"] = {**identity, "status": "not graded", "reason": reason}
    return document


def schema() -> dict:
    return json.loads(resources.files("gdkit.autograder.results").joinpath("schema.json").read_text())


def validate(document: dict) -> None:
    """Raise ``jsonschema.ValidationError`` if ``document`` is not a valid results.json (test-time helper)."""
    import jsonschema

    jsonschema.validate(document, schema())


def write_atomically(path: Path, document: dict) -> None:
    """Write JSON to ``path`` from memory, via a temporary file in the same folder and a rename."""
    write_text_atomically(path, json.dumps(document, indent=2, allow_nan=False), sync=True)
