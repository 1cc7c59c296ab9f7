"""Helpers for the class-grading tests: the real ``gdkit`` command line on notebooks written to disk."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path


def gdkit(*args: str, cwd: Path | None = None, timeout: float = 600,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``gdkit`` as an instructor would, with stdout and stderr captured (so not a terminal)."""
    # Third-party warnings on, as on a fresh machine.
    env = {**os.environ, "PYTHONWARNINGS": "default", **(env or {})}
    return subprocess.run([sys.executable, "-m", "gdkit.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def results(out: Path) -> dict[str, dict]:
    """Every results.json under ``out``, by folder name."""
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(out.glob("*/results.json"))}
