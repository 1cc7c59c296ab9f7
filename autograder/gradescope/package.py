"""The Gradescope autograder zip: ``setup.sh`` and ``run_autograder`` at its root, gdkit as a wheel, pinned
requirements and the kit's configuration.

The zip is deterministic (sorted entries, fixed timestamps and permissions), so building twice from the same
checkout gives the same bytes. The wheel is written here from ``pyproject.toml``'s explicit package list rather
than by a build backend: the development environment has no ``wheel`` package (``pip wheel
--no-build-isolation`` fails there), and an isolated build would need the network and a floating setuptools.
Only what grading needs at run time is pinned (numpy, matplotlib, nbformat and everything they require), at the
versions of the committed ``constraints.txt`` that ``./dev`` installs from, so two maintainers build the same zip
and what the test suite exercised is what ships; otter is not in the zip.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tempfile
import tomllib
import zipfile
from importlib import metadata, resources
from pathlib import Path

import gdkit
from gdkit.autograder.results.gradescope import VISIBILITIES

ZIP_NAME = "autograder.zip"
RUNTIME_ROOTS = ("numpy", "matplotlib", "nbformat", "pyyaml")  # pyyaml: the declarations (contract/*.yaml)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
EXECUTABLE = 0o755
REGULAR = 0o644


class PackageError(ValueError):
    """The zip cannot be built (not a source checkout, a runtime package missing here). A ValueError, so that
    callers catching ValueError for a bad ``hidden_visibility`` report it the same way."""


def repo_root() -> Path:
    root = Path(gdkit.__file__).resolve().parents[1]
    if not (root / "pyproject.toml").is_file():
        raise PackageError(f"no pyproject.toml in {root}: build the Gradescope zip from a gdkit source checkout "
                           "(pip install -e .)")
    return root


# -- the wheel -----------------------------------------------------------------------------------------------


def _package_folder(root: Path, package: str, package_dir: dict[str, str]) -> Path:
    """Where setuptools finds ``package``, given ``[tool.setuptools] package-dir``."""
    best = ""
    for prefix in package_dir:
        if prefix and (package == prefix or package.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    base = root / package_dir.get(best, "") if (best or "" in package_dir) else root
    rest = package[len(best):].lstrip(".") if best else package
    return base.joinpath(*rest.split(".")) if rest else base


def wheel_files(root: Path) -> dict[str, bytes]:
    """The package files the wheel holds (its paths -> bytes): each listed package's modules and package data."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    tool = config.get("tool", {}).get("setuptools", {})
    packages = tool.get("packages")
    if not isinstance(packages, list) or not packages:
        raise PackageError("pyproject.toml must list [tool.setuptools] packages explicitly")
    package_dir = tool.get("package-dir", {})
    package_data = tool.get("package-data", {})
    files: dict[str, bytes] = {}
    for package in packages:
        folder = _package_folder(root, package, package_dir)
        if not (folder / "__init__.py").is_file():
            raise PackageError(f"package {package}: no {folder / '__init__.py'}")
        target = package.replace(".", "/")
        chosen = list(folder.glob("*.py"))
        for pattern in package_data.get(package, []):
            chosen += folder.glob(pattern)
        for path in chosen:
            if path.is_file() and "__pycache__" not in path.parts:
                files[f"{target}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return files


def _metadata_text(project: dict) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
    ]
    if project.get("description"):
        lines.append(f"Summary: {project['description']}")
    if project.get("requires-python"):
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])]
    return "\n".join(lines) + "\n"


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def contract_files(folder: Path) -> dict[str, bytes]:
    """The declarations in ``folder`` as the wheel's ``gdkit/assignment/contract/*.yaml``."""
    return {f"gdkit/assignment/contract/{p.name}": p.read_bytes() for p in sorted(Path(folder).glob("*.yaml"))}


def build_wheel(root: Path, out_dir: Path, contract: Path | None = None) -> Path:
    """A pure-Python wheel of gdkit (py3-none-any), deterministic, written into ``out_dir``; with ``contract``,
    the declarations (points, checks) of that folder instead of the checkout's."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name, version = project["name"], project["version"]
    dist_info = f"{name}-{version}.dist-info"
    files = wheel_files(root)
    if contract is not None:
        files = {p: data for p, data in files.items() if not p.startswith("gdkit/assignment/contract/")}
        files.update(contract_files(contract))
    files[f"{dist_info}/METADATA"] = _metadata_text(project).encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: gdkit.autograder.gradescope.package\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    scripts = project.get("scripts", {})
    if scripts:
        files[f"{dist_info}/entry_points.txt"] = (
            "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in sorted(scripts.items()))
        ).encode()
    files[f"{dist_info}/top_level.txt"] = f"{name}\n".encode()
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in sorted(files.items()))
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    # RECORD goes last, as the wheel spec recommends; the rest sorted.
    order = sorted(p for p in files if p != f"{dist_info}/RECORD") + [f"{dist_info}/RECORD"]
    path = Path(out_dir) / f"{name}-{version}-py3-none-any.whl"
    path.write_bytes(_deterministic_zip([(p, files[p], REGULAR) for p in order]))
    return path


# -- requirements ----------------------------------------------------------------------------------------------


def constraints(root: Path | None = None) -> dict[str, str]:
    """The committed pins (``constraints.txt``): canonical name -> version."""
    from packaging.utils import canonicalize_name

    path = (root or repo_root()) / "constraints.txt"
    if not path.is_file():
        raise PackageError(f"no {path}: the pins every install and the Gradescope zip share")
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


def runtime_requirements(roots: tuple[str, ...] = RUNTIME_ROOTS,
                         pinned: dict[str, str] | None = None) -> dict[str, str]:
    """Every distribution the grading run needs, pinned as in ``constraints.txt``: ``roots`` and everything
    they require (markers evaluated for this interpreter, which is the Python setup.sh installs: 3.11 on
    Linux). The installed version must be the pinned one, or the zip would ship what the tests never ran."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pinned = constraints() if pinned is None else pinned
    pins: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    todo = [(name, "") for name in roots]
    while todo:
        name, extra = todo.pop()
        key = (canonicalize_name(name), extra)
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError as exc:
            raise PackageError(f"{name} is needed at grading time but is not installed here") from exc
        canonical = canonicalize_name(dist.metadata["Name"])
        if pinned.get(canonical) != dist.version:
            raise PackageError(f"{canonical} {dist.version} is installed but constraints.txt pins "
                               f"{pinned.get(canonical, 'nothing')}: run ./dev to install the committed pins")
        pins[canonical] = dist.version
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
                continue
            todo.append((requirement.name, ""))
            todo.extend((requirement.name, e) for e in sorted(requirement.extras))
    return dict(sorted(pins.items()))


def requirements_txt(pins: dict[str, str] | None = None) -> str:
    """The pins, pip's own among them: setup.sh first upgrades the venv's pip to it (the python3.11-venv of
    Ubuntu 22.04 brings an old pip), then installs the rest with that pip."""
    pins = runtime_requirements() if pins is None else pins
    if "pip" in constraints():
        pins = {**pins, "pip": constraints()["pip"]}
    header = ("# What gdkit's Gradescope grader needs at run time, pinned to the versions gdkit was tested with.\n"
              "# Generated by gdkit.autograder.gradescope.package; installed by setup.sh.\n")
    return header + "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))


# -- the zip ---------------------------------------------------------------------------------------------------


def _deterministic_zip(entries: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3  # Unix, so that the permissions below are honoured by unzip
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def template(name: str) -> bytes:
    return resources.files("gdkit.autograder.gradescope").joinpath("templates", name).read_bytes()


def build_gradescope_zip(out_dir: Path, *, hidden_visibility: str = "after_published",
                         contract: Path | None = None) -> Path:
    """Write ``out_dir/autograder.zip`` (the file to upload to Gradescope) and return its path. ``contract``: the
    folder of declarations the zip grades with (default: the checkout's ``assignment/contract``)."""
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"hidden_visibility must be one of {VISIBILITIES}; got {hidden_visibility!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    root = repo_root()
    config = json.dumps({"hidden_visibility": hidden_visibility}, indent=2, sort_keys=True) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(root, Path(tmp), contract)
        entries = [
            ("gdkit_config.json", config.encode(), REGULAR),
            (wheel.name, wheel.read_bytes(), REGULAR),
            ("requirements.txt", requirements_txt().encode(), REGULAR),
            ("run_autograder", template("run_autograder"), EXECUTABLE),
            ("setup.sh", template("setup.sh"), EXECUTABLE),
        ]
    entries.sort(key=lambda entry: entry[0])
    target = out_dir / ZIP_NAME
    fd, tmp_path = tempfile.mkstemp(prefix=".autograder-", suffix=".zip", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_deterministic_zip(entries))
        os.chmod(tmp_path, REGULAR)
        os.replace(tmp_path, target)
    except BaseException:
        Path(tmp_path).unlink(missing_ok=True)
        raise
    return target
