"""Fixtures shared across the test folders."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def handout(tmp_path_factory):
    """The hand-out ``gdkit build`` makes from the repository's master (one build for the whole session)."""
    from gdkit.build import build_assignment

    return build_assignment(REPO / "assignment" / "master.ipynb", tmp_path_factory.mktemp("handout"))
