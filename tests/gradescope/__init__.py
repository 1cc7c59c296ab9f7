"""Tests of the Gradescope package (a package, so that its conftest does not shadow tests/engine's)."""
