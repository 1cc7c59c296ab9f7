"""gdkit's settings in the master's ASSIGNMENT CONFIG cell: read and checked, then removed for Otter."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from gdkit import assignment_config

MASTER = Path(__file__).resolve().parents[2] / "assignment" / "master.ipynb"


def _config_text(nb: dict) -> str:
    return assignment_config.cell_text(nb["cells"][assignment_config.config_index(nb)])


def test_the_master_configures_gdkit_in_its_config_cell():
    nb = json.loads(MASTER.read_text())
    assert assignment_config.gdkit_settings(nb) == {"hidden_visibility": "after_published"}
    assert "gdkit" not in nb["metadata"], "one place for the settings: the config cell"


def test_otter_gets_its_own_keys_only_and_the_input_is_untouched():
    nb = json.loads(MASTER.read_text())
    before = copy.deepcopy(nb)
    stripped = assignment_config.for_otter(nb)
    assert nb == before
    original, left = yaml.safe_load(_config_text(nb)), yaml.safe_load(_config_text(stripped))
    assert "gdkit" in original and "gdkit" not in left
    assert left == {k: v for k, v in original.items() if k != "gdkit"}
    assert _config_text(stripped).startswith("# ASSIGNMENT CONFIG\n")
    assert stripped["cells"][1:] == nb["cells"][1:]


def test_no_gdkit_key_means_the_defaults():
    nb = {"cells": [{"cell_type": "raw", "source": "# ASSIGNMENT CONFIG\nname: hw\n"}]}
    assert assignment_config.gdkit_settings(nb) == assignment_config.DEFAULTS
    assert assignment_config.for_otter(nb) is nb


@pytest.mark.parametrize("body, message", [
    ("name: [unclosed", "is not valid YAML"),
    ("- a list", "must be a YAML mapping"),
    ("gdkit: visible", "'gdkit:' in the # ASSIGNMENT CONFIG cell must hold key: value lines"),
])
def test_a_broken_config_cell_is_named(body, message):
    nb = {"cells": [{"cell_type": "raw", "source": f"# ASSIGNMENT CONFIG\n{body}\n"}]}
    with pytest.raises(assignment_config.ConfigError, match=message.replace("[", r"\[")):
        assignment_config.gdkit_settings(nb)
