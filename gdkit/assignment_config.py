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


def cell_text(cell: dict) -> str:
    """A cell's source as one string (notebooks store it as a string or a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def config_index(nb: dict) -> int | None:
    """Index of the notebook's ``# ASSIGNMENT CONFIG`` raw cell, or None."""
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "raw" and cell_text(cell).lstrip().startswith(CONFIG_MARK):
            return index
    return None


def _load(cell: dict) -> dict:
    try:
        config = yaml.safe_load(cell_text(cell))
    except yaml.YAMLError as e:
        raise ConfigError(f"the {CONFIG_MARK} cell is not valid YAML: {' '.join(str(e).split())}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"the {CONFIG_MARK} cell must be a YAML mapping (key: value lines)")
    return config


def gdkit_settings(nb: dict) -> dict:
    """The ``gdkit`` settings of a notebook (a parsed .ipynb dict), defaults filled in, values checked."""
    index = config_index(nb)
    given = _load(nb["cells"][index]).get(KEY) if index is not None else None
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
    index = config_index(nb)
    config = _load(nb["cells"][index]) if index is not None else {}
    if KEY not in config:
        return nb
    del config[KEY]
    out = copy.deepcopy(nb)
    out["cells"][index]["source"] = f"{CONFIG_MARK}\n" + yaml.safe_dump(config, sort_keys=False,
                                                                        default_flow_style=False)
    return out
