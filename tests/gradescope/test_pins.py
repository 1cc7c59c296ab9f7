"""One environment for everyone: ./dev and the Gradescope zip take their versions from constraints.txt."""

from __future__ import annotations

from importlib import metadata

import pytest
from packaging.utils import canonicalize_name

from gdkit.autograder.gradescope.package import PackageError, constraints, requirements_txt, runtime_requirements


def test_the_venv_holds_exactly_the_committed_pins():
    drift = {}
    for name, version in constraints().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            drift[name] = (version, installed)
    assert not drift, f"constraints.txt pins vs installed (run ./dev): {drift}"


def test_zip_requirements_are_the_committed_pins():
    pins = constraints()
    lines = [line for line in requirements_txt().splitlines() if "==" in line]
    assert lines, "requirements.txt pins nothing"
    for line in lines:
        name, version = line.split("==")
        assert pins.get(canonicalize_name(name)) == version, f"{line} is not what constraints.txt pins"
    assert {canonicalize_name(line.split("==")[0]) for line in lines} >= {"numpy", "matplotlib", "nbformat", "pip"}


def test_a_package_installed_at_another_version_stops_the_build():
    pins = {**constraints(), "numpy": "0.0.1"}
    with pytest.raises(PackageError, match=r"numpy .* constraints.txt pins 0\.0\.1: run ./dev"):
        runtime_requirements(pinned=pins)
