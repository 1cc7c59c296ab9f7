"""The assignment's fingerprint: what decides that a notebook graded before need not be graded again."""

from __future__ import annotations

import shutil

from gdkit.autograder.checks import assignment_fingerprint
from gdkit.autograder.checks.contract import ENV, default_folder


def test_the_fingerprint_is_stable_and_follows_the_declarations(tmp_path, monkeypatch):
    first = assignment_fingerprint()
    assert first == assignment_fingerprint()
    copy = tmp_path / "contract"
    shutil.copytree(default_folder(), copy)
    monkeypatch.setenv(ENV, str(copy))
    assert assignment_fingerprint() == first, "the same declarations elsewhere are the same assignment"

    # A public case's wording or values change the verdicts: a rerun must grade again.
    sigmoid = copy / "sigmoid.yaml"
    sigmoid.write_text(sigmoid.read_text() + "\n# a TA's edit\n")
    edited = assignment_fingerprint()
    assert edited != first

    # Points move between two checks: a different assignment too.
    gradients = copy / "compute_gradients.yaml"
    text = gradients.read_text()
    assert "points: 0.5" in text, text
    gradients.write_text(text.replace("points: 0.5", "points: 1.5", 1))
    assert assignment_fingerprint() not in (first, edited)
