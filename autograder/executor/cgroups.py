"""One control group per submission: its share of the cores, a memory and a process cap, and its CPU clock.

Two layouts exist: cgroup v1 (one hierarchy per controller under /sys/fs/cgroup/{cpu,cpuacct,memory,pids},
as on this project's CI machine) and the unified cgroup v2 tree at /sys/fs/cgroup (most current
distributions). :func:`layout` detects which one is writable here; where neither is (a laptop without root,
a Docker container), :func:`create` returns None with the reason and the rlimits alone apply.

Each group is named uniquely (``gdkit-<pid>-<random>``, several graders may run on one machine at once) and
removed by :meth:`Group.remove` once its processes are gone.
"""

from __future__ import annotations

import functools
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("cpu", "cpuacct", "memory", "pids")
V2_CONTROLLERS = ("cpu", "memory", "pids")
PERIOD_US = 100_000


@dataclass(frozen=True)
class Layout:
    """Where new groups go: v1 one parent folder per controller, v2 a single parent folder."""

    version: int
    parents: dict[str, Path]  # controller -> parent folder (v2: every controller -> the same folder)


def _own_paths() -> dict[str, str]:
    """This process's cgroup path per v1 controller ("" for the v2 entry), from /proc/self/cgroup."""
    paths: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


def _writable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK)


@functools.cache
def layout() -> Layout | str:
    """The writable cgroup layout here, or a sentence saying why there is none."""
    if os.geteuid() != 0:
        return "not root: no cgroups of our own (the OS rlimits and wall-clock timeouts apply)"
    own = _own_paths()
    if (ROOT / "cgroup.controllers").is_file():  # pure cgroup v2
        available = set((ROOT / "cgroup.controllers").read_text().split())
        missing = [c for c in V2_CONTROLLERS if c not in available]
        if missing or not _writable(ROOT):
            return f"cgroup v2 at {ROOT} lacks {missing or 'write access'}"
        enabled = set((ROOT / "cgroup.subtree_control").read_text().split())
        try:  # the root group is exempt from "no processes in inner groups": children may have controllers
            for controller in V2_CONTROLLERS:
                if controller not in enabled:
                    (ROOT / "cgroup.subtree_control").write_text(f"+{controller}")
        except OSError as exc:
            return f"cgroup v2 at {ROOT}: cannot enable {V2_CONTROLLERS} for child groups ({exc})"
        return Layout(2, dict.fromkeys(V2_CONTROLLERS, ROOT))
    parents = {}
    for controller in V1_CONTROLLERS:
        # Under our own group, so a grader itself confined (a container's memory limit) stays confined.
        folder = ROOT / controller / own.get(controller, "/").lstrip("/")
        if not _writable(folder):
            return f"cgroup v1 hierarchy {ROOT / controller} missing or not writable"
        parents[controller] = folder
    return Layout(1, parents)


def describe() -> str:
    """One log line: which cgroups this machine gives the grader."""
    found = layout()
    if isinstance(found, str):
        return f"no cgroups: {found}"
    return f"cgroup v{found.version} ({', '.join(sorted({str(p) for p in found.parents.values()}))})"


@dataclass
class Group:
    """A created group: one folder per v1 controller, or one v2 folder."""

    version: int
    folders: dict[str, Path]

    def procs_files(self) -> list[Path]:
        """The files a process joins the group through (one per distinct folder)."""
        return sorted({folder.resolve() / "cgroup.procs" for folder in self.folders.values()})

    def cpu_seconds(self) -> float:
        """CPU time used by every process that was ever in the group (user and system, all cores)."""
        if self.version == 1:
            return int((self.folders["cpuacct"] / "cpuacct.usage").read_text()) / 1e9
        for line in (self.folders["cpu"] / "cpu.stat").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":
                return int(value) / 1e6
        raise OSError("no usage_usec in cpu.stat")

    def processes(self) -> list[int]:
        pids: set[int] = set()
        for procs in self.procs_files():
            try:
                pids.update(int(p) for p in procs.read_text().split())
            except OSError:
                continue
        return sorted(pids)

    def remove(self) -> bool:
        """Remove the folders; False if a process is still inside (the caller kills it first)."""
        ok = True
        for folder in {f.resolve() for f in self.folders.values()}:
            try:
                folder.rmdir()
            except FileNotFoundError:
                continue
            except OSError:
                ok = False
        return ok


def create(cpu_cores: float, memory_mb: int, processes: int) -> Group | str:
    """A new group capped at ``cpu_cores`` cores, ``memory_mb`` of memory and ``processes`` tasks; or why not."""
    found = layout()
    if isinstance(found, str):
        return found
    name = f"gdkit-{os.getpid()}-{secrets.token_hex(4)}"
    folders = {controller: parent / name for controller, parent in found.parents.items()}
    quota = max(int(cpu_cores * PERIOD_US), 1000)
    memory = memory_mb * 1024 * 1024
    if found.version == 1:
        settings = [("cpu", "cpu.cfs_period_us", str(PERIOD_US)), ("cpu", "cpu.cfs_quota_us", str(quota)),
                    ("memory", "memory.limit_in_bytes", str(memory)), ("pids", "pids.max", str(processes))]
    else:
        settings = [("cpu", "cpu.max", f"{quota} {PERIOD_US}"), ("memory", "memory.max", str(memory)),
                    ("memory", "memory.swap.max", "0"), ("pids", "pids.max", str(processes))]
    group = Group(found.version, folders)
    try:
        for folder in {f.resolve() if f.exists() else f for f in folders.values()}:
            folder.mkdir(exist_ok=True)
        for controller, key, value in settings:
            target = folders[controller] / key
            if target.exists():  # memory.swap.max is absent without swap accounting
                target.write_text(value)
    except OSError as exc:
        group.remove()
        return f"cannot set up a cgroup ({exc})"
    return group
