"""gdkit.autograder.gradescope.run in-process: what it writes when grading cannot happen or breaks."""

from __future__ import annotations

import json

import pytest

from gdkit.autograder.gradescope import run
from gdkit.autograder.results.gradescope import validate


@pytest.fixture
def root(tmp_path, monkeypatch):
    for name in ("source", "submission", "results"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("AUTOGRADER_ROOT", str(tmp_path))
    return tmp_path


def results(root) -> dict:
    doc = json.loads((root / "results" / "results.json").read_text())
    validate(doc)
    return doc


def test_internal_error_still_writes_a_valid_zero(root, monkeypatch, capsys):
    (root / "submission" / "hw.ipynb").write_text("{}")
    seen = {}

    def broken(root_, started):
        seen["provisional"] = results(root_)
        raise KeyError("boom in the grader")

    monkeypatch.setattr(run, "grade", broken)
    assert run.main() == 0
    assert "did not complete" in seen["provisional"]["output"]
    doc = results(root)
    assert doc["score"] == 0 and "internal error" in doc["output"]
    assert all(t["score"] == 0 for t in doc["tests"])
    out = capsys.readouterr().out
    assert "Traceback" in out and "boom in the grader" in out
    assert "boom" not in json.dumps(doc)


def test_missing_results_folder_and_metadata(root):
    (root / "results").rmdir()
    (root / "submission" / "answers.pdf").write_bytes(b"%PDF-1.4")
    assert run.main() == 0
    doc = results(root)
    assert doc["score"] == 0 and "answers.pdf" in doc["output"]


def test_file_names_are_escaped_and_listing_is_capped(root):
    for i in range(15):
        (root / "submission" / f"<b>x{i:02d}`.py").write_text("")
    run.main()
    doc = results(root)
    assert "<b>" not in doc["output"] and "&lt;b&gt;x00" in doc["output"]
    assert "and 5 more" in doc["output"]


def test_a_symlinked_notebook_is_not_followed(root, tmp_path_factory):
    secret = tmp_path_factory.mktemp("secret") / "hidden.ipynb"
    secret.write_text('{"nbformat": 4, "cells": [{"cell_type": "code", "source": "SECRET"}]}')
    (root / "submission" / "hw.ipynb").symlink_to(secret)
    run.main()
    doc = results(root)
    assert doc["score"] == 0 and "symbolic link" in doc["output"]


@pytest.mark.parametrize("config, expected", [
    ({"hidden_visibility": "hidden"}, "hidden"),
    ({"hidden_visibility": "nonsense"}, "after_published"),
    (None, "after_published"),
])
def test_hidden_visibility_from_config(root, config, expected):
    if config is not None:
        (root / "source" / "gdkit_config.json").write_text(json.dumps(config))
    assert run.hidden_visibility(root) == expected


@pytest.mark.parametrize("meta, expected", [
    ({"id": 123}, "123"), ({"id": "abc"}, "abc"), ({"id": None}, None), ({}, None), ({"id": True}, None),
    ({"id": ""}, None),
])
def test_submission_id(meta, expected):
    assert run.submission_id(meta) == expected
