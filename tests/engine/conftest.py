"""Fixtures for the engine's tests: notebooks on disk and the unprivileged user when running as root."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from gdkit.autograder.executor import sandbox  # noqa: E402


@pytest.fixture(scope="session")
def student_user() -> sandbox.StudentUser | None:
    """The real unprivileged user when the suite runs as root (CI, Gradescope); None on a laptop."""
    return sandbox.ensure_user() if sandbox.is_root() else None


def processes_of(uid: int) -> list[int]:
    return sandbox.live_processes(uid)
