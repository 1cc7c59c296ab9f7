"""The assignment's declaration hash: what decides, with the notebook's bytes, whether a rerun regrades."""

from __future__ import annotations

import dataclasses

from gdkit.autograder.checks import assignment_fingerprint
from gdkit.autograder.checks.framework import REGISTRY


def test_the_fingerprint_is_stable_and_follows_points_and_visibility():
    first = assignment_fingerprint()
    assert first == assignment_fingerprint()
    check = REGISTRY[0]
    try:
        REGISTRY[0] = dataclasses.replace(check, points=check.points + 1)
        more_points = assignment_fingerprint()
        REGISTRY[0] = dataclasses.replace(check, public=not check.public)
        other_visibility = assignment_fingerprint()
    finally:
        REGISTRY[0] = check
    assert len({first, more_points, other_visibility}) == 3
    assert assignment_fingerprint() == first
