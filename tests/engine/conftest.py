"""Fixtures for the engine's tests: notebooks on disk and the unprivileged user when running as root."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from gdkit.autograder.executor import sandbox  # noqa: E402


@pytest.fixture(scope="session")
def student_user() -> Iterator[sandbox.StudentUser | None]:
    """A real unprivileged user of our own when the suite runs as root (CI, Gradescope); None on a laptop."""
    if not sandbox.is_root():
        yield None
        return
    with sandbox.exclusive_user() as user:
        yield user


def processes_of(uid: int) -> list[int]:
    return sandbox.live_processes(uid)
