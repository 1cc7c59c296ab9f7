"""The class-grading tests reuse the engine's notebooks (tests/engine/solutions.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
