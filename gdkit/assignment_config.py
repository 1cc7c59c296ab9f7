"""gdkit's settings in the master notebook's ``# ASSIGNMENT CONFIG`` cell, under a ``gdkit:`` key.

Instructors configure the assignment in one place, the config cell Otter Assign reads::

    # ASSIGNMENT CONFIG
    name: gradient_descent
    ...
    gdkit:
      hidden_visibility: after_published   # hidden | after_due_date | after_published | visible

Otter rejects keys it does not know ("Unexpected key found in config: 'gdkit'"), so the build reads the
``gdkit`` key here and hands Otter the notebook without it.
"""

from __future__ import annotations

import copy

import yaml

from gdkit.autograder.results.gradescope import VISIBILITIES

CONFIG_MARK = "# ASSIGNMENT CONFIG"
KEY = "gdkit"
DEFAULTS = {"hidden_visibility": "after_published"}


class ConfigError(ValueError):
    """The config cell or its gdkit settings are wrong; ``str(error)`` is a one-line message."""


def _config_cell(nb: dict) -> dict | None:
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "raw" and text.lstrip().startswith(CONFIG_MARK):
            return cell
    return None


def _load(cell: dict) -> dict:
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else source
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"the {CONFIG_MARK} cell is not valid YAML: {' '.join(str(e).split())}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"the {CONFIG_MARK} cell must be a YAML mapping (key: value lines)")
    return config


def gdkit_settings(nb: dict) -> dict:
    """The ``gdkit`` settings of a notebook (a parsed .ipynb dict), defaults filled in, values checked."""
    cell = _config_cell(nb)
    given = _load(cell).get(KEY) if cell is not None else None
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ConfigError(f"'{KEY}:' in the {CONFIG_MARK} cell must hold key: value lines")
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown '{KEY}' setting(s) {', '.join(unknown)}; known: {', '.join(DEFAULTS)}")
    settings = {**DEFAULTS, **given}
    if settings["hidden_visibility"] not in VISIBILITIES:
        raise ConfigError(f"{KEY}.hidden_visibility must be one of {', '.join(VISIBILITIES)}; "
                          f"got {settings['hidden_visibility']!r}")
    return settings


def for_otter(nb: dict) -> dict:
    """A copy of the notebook whose config cell has no ``gdkit`` key (the input is not modified)."""
    cell = _config_cell(nb)
    if cell is None or KEY not in _load(cell):
        return nb
    out = copy.deepcopy(nb)
    target = _config_cell(out)
    config = _load(target)
    del config[KEY]
    target["source"] = f"{CONFIG_MARK}\n" + yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
    return out
