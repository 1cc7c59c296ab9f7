"""The sandbox, tried as an attacker would, through the real grader (bubblewrap, cgroups, the real runtime).

Each test grades notebooks whose cells report what they can see or do (lines ``SEEN <label> <value>`` on
stdout, read back from the report's captured output) and asserts on it, plus what they leave behind.
Issue 8's findings: 2 (clean-up captured, survivors), 3 (CPU starvation), 4 (/tmp, /dev/shm, SysV IPC left
behind), 5 (deny-list hiding, /proc of the grader).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from gdkit.autograder.batch import grade_all
from gdkit.autograder.executor import sandbox
from gdkit.autograder.grade import grade_notebook

from solutions import HEADER, solution_cells, write_notebook

REFERENCE = Path(__file__).parents[2] / "reference" / "linear.py"


def seen(report) -> dict[str, str]:
    return dict(re.findall(r"^SEEN (\S+) (.*)$", report.output, re.M))


@pytest.fixture
def public_folder():
    """A folder any user may read (pytest's tmp_path is under a 0700 folder: permissions alone would protect it)."""
    folder = Path(tempfile.mkdtemp(prefix="gdkit-sbx-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


PRIVILEGES = '''
import os
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
print("SEEN uid", os.getuid(), os.geteuid())
print("SEEN capeff", status["CapEff"].strip())
print("SEEN capbnd", status["CapBnd"].strip())
print("SEEN nonewprivs", status["NoNewPrivs"].strip())
print("SEEN pid", os.getpid())
print("SEEN pids", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
print("SEEN hostname", os.uname().nodename)
import socket
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2)
    print("SEEN network yes")
except OSError as exc:
    print("SEEN network", type(exc).__name__)
'''


def test_the_student_process_holds_no_privilege_and_sees_only_itself(tmp_path, student_user):
    path = write_notebook(tmp_path / "probe.ipynb", solution_cells() + [PRIVILEGES])
    report = grade_notebook(path, user=student_user)
    got = seen(report)
    assert report.score == report.max_score
    uid, euid = map(int, got["uid"].split())
    assert uid != 0 and euid != 0, got
    assert int(got["capeff"], 16) == 0 and int(got["capbnd"], 16) == 0, got
    assert got["nonewprivs"] == "1", got
    pids = eval(got["pids"])  # a list of ints printed by the cell
    # Its own PID namespace: a handful of small pids (init, the fork chain), none of the machine's.
    assert max(pids) < 100 and len(pids) < 40 and os.getpid() not in pids, got
    assert got["hostname"] == "notebook" and got["network"] != "yes", got
    assert any(line.startswith("sandbox: bubblewrap") for line in report.log), report.log


FIND_THE_SOLUTION = '''
import os
MARKER = MARKER_TEXT
try:
    import gdkit
    print("SEEN import_gdkit ok", gdkit.__file__)
except ImportError as exc:
    print("SEEN import_gdkit", type(exc).__name__)
hits = []
for top in sorted(os.listdir("/")):
    if top in ("proc", "sys", "dev"):
        continue
    for folder, dirs, files in os.walk("/" + top):
        for name in files:
            if not name.endswith((".py", ".ipynb", ".zip", ".whl", ".json", ".txt", ".md", ".cfg")):
                continue  # the solution's text travels in these; reading all of /usr would take minutes
            path = os.path.join(folder, name)
            try:
                if os.path.getsize(path) < 50_000_000 and MARKER in open(path, "rb").read():
                    hits.append(path)
            except OSError:
                pass
print("SEEN solution_found", hits)
print("SEEN top_level", sorted(os.listdir("/")))
print("SEEN venv_parent", sorted(os.listdir(os.path.dirname(VENV))))
for label, path in PROBES:
    try:
        data = os.listdir(path) if os.path.isdir(path) else open(path, "rb").read()
        print("SEEN", label, "read", len(data))
    except OSError as exc:
        print("SEEN", label, type(exc).__name__)
everything = open("/proc/self/mountinfo").read()
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            everything += open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            pass
print("SEEN grader_paths", [p for p in SECRET_PATHS if p in everything])
'''


def test_the_filesystem_is_an_allow_list_and_gdkit_is_nowhere(public_folder, student_user):
    """Finding 5: world-readable course copies elsewhere, other submissions, results, /proc of the grader."""
    if student_user is None:
        pytest.fail("needs root to put a course copy under /srv and /opt (the suite runs as root in CI; the "
                    "not-root variant is in test_sandbox_not_root.py)")
    marker = next(line.strip() for line in REFERENCE.read_text().splitlines() if "def " in line and "(" in line)
    tag = public_folder.name
    copies = [Path("/srv") / tag / "reference" / "linear.py", Path("/opt") / tag / "otter-autograder" / "linear.py"]
    for copy in copies:
        copy.parent.mkdir(parents=True)
        shutil.copyfile(REFERENCE, copy)
        for p in (copy, copy.parent, copy.parent.parent):
            p.chmod(0o755 if p.is_dir() else 0o644)
    try:
        submissions, out = public_folder / "submissions", public_folder / "grades"
        submissions.mkdir(mode=0o755)
        other = write_notebook(submissions / "other.ipynb", solution_cells())
        other.chmod(0o644)
        probes = [("srv", str(copies[0])), ("opt", str(copies[1])), ("other", str(other)), ("out", str(out)),
                  ("root", "/root"), ("home", "/home"), ("checkout", str(REFERENCE)),
                  ("control", "/usr/lib/os-release")]
        cell = (FIND_THE_SOLUTION.replace("MARKER_TEXT", repr(marker.encode()))
                .replace("PROBES", repr(probes)).replace("VENV", repr(str(Path(sys.prefix))))
                .replace("SECRET_PATHS", repr([str(submissions), str(out), str(REFERENCE.parent)])))
        thief = write_notebook(submissions / "thief.ipynb", solution_cells() + [cell])
        thief.chmod(0o644)

        reports = grade_all([thief, other], out).reports
    finally:
        for copy in copies:
            shutil.rmtree(copy.parent.parent, ignore_errors=True)
    got = seen(reports[0])
    assert got["control"].startswith("read"), got  # positive control: reading works at all
    assert got["import_gdkit"] in ("ImportError", "ModuleNotFoundError"), got
    assert got["solution_found"] == "[]", got
    for label in ("srv", "opt", "other", "out", "root", "checkout"):
        assert got[label] in ("FileNotFoundError", "PermissionError"), (label, got)
    assert got["grader_paths"] == "[]", got
    assert not {"root", "srv", "opt", "mnt"} & set(eval(got["top_level"])), got
    # The venv's folders are visible as the way to it, and nothing else of the checkout around it.
    assert eval(got["venv_parent"]) == [Path(sys.prefix).name], got
    assert [r.score for r in reports] == [20, 20]


LEAVE_THINGS_BEHIND = '''
import ctypes, os, subprocess, sys, time
TAG = TAG_TEXT
for folder in ("/tmp", "/var/tmp", "/dev/shm"):
    try:
        with open(f"{folder}/{TAG}", "wb") as f:
            f.write(b"x" * 1_000_000)
        print("SEEN wrote", folder)
    except OSError as exc:
        print("SEEN write_failed", folder, exc)
written = 0
try:  # finding 4: filling the disk; its home is a capped tmpfs of its own
    for i in range(40):
        with open(f"{os.path.expanduser('~')}/fill{i}", "wb") as f:
            f.write(b"x" * 15_000_000)
        written += 15
    print("SEEN home_full no", written)
except OSError as exc:
    print("SEEN home_full", exc.errno, written)
libc = ctypes.CDLL(None, use_errno=True)
shmid = libc.shmget(KEY, 4096, 0o1666)  # IPC_CREAT | 0666
print("SEEN shmget", shmid)
# A daemon in a session of its own, ignoring every signal it may, that keeps a marker in its command line.
subprocess.Popen(["/usr/bin/sleep", SLEEP], start_new_session=True, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import signal
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)
        os.execv("/usr/bin/sleep", ["sleep", SLEEP])
    os._exit(0)
time.sleep(0.2)
print("SEEN started", len([p for p in os.listdir("/proc") if p.isdigit()]))
'''


def _sleepers(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _shm_keys() -> set[int]:
    keys = set()
    for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]:
        keys.add(int(line.split()[0]))
    return keys


def test_nothing_of_a_submission_survives_it(public_folder, student_user):
    """Finding 2 and 4: daemons, files in /tmp, /var/tmp, /dev/shm and System V shared memory left behind;
    the next notebook in the batch is unaffected."""
    tag = f"gdkit-left-{public_folder.name}"
    key = 0x6D000000 + (os.getpid() & 0xFFFF)
    sleep = f"{1000 + os.getpid() % 1000}.{public_folder.name[-4:].encode().hex()}"
    cell = (LEAVE_THINGS_BEHIND.replace("TAG_TEXT", repr(tag)).replace("KEY", str(key))
            .replace("SLEEP", repr(sleep)))
    attacker = write_notebook(public_folder / "attacker.ipynb", solution_cells() + [cell])
    honest = write_notebook(public_folder / "honest.ipynb", solution_cells())

    reports = grade_all([attacker, honest], public_folder / "out").reports

    got = seen(reports[0])
    assert "wrote" in got and int(got["shmget"]) >= 0, got  # positive control: it did leave things
    assert got["home_full"].split()[0] == "28", got  # ENOSPC in its own capped home, not on the machine's disk
    assert _sleepers(sleep) == [], "a process of the submission outlived its grading"
    assert key not in _shm_keys(), "a System V shared memory segment outlived the submission"
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        assert not (Path(folder) / tag).exists(), folder
    assert [r.score for r in reports] == [20, 20]


SPIN = '''
import os, time
# Spinners in sessions of their own, left running for 8 s while the notebook sleeps and the other slot grades.
end = time.time() + 8
for _ in range(200):
    if os.fork() == 0:
        os.setsid()
        while time.time() < end:
            pass
        os._exit(0)
'''


def test_a_notebook_cannot_starve_another_slot(public_folder, student_user):
    """Finding 3: spinners in one slot of a -j 2 batch; the honest notebook in the other slot gets full marks."""
    spinner = write_notebook(public_folder / "spinner.ipynb",
                             [HEADER, SPIN, "time.sleep(8)"] + solution_cells()[1:])
    honest = write_notebook(public_folder / "honest.ipynb", solution_cells())
    reports = grade_all([spinner, honest], public_folder / "out", jobs=2).reports
    assert reports[1].score == reports[1].max_score, [o.message for o in reports[1].outcomes if not o.passed]
    # This machine (CI, root) has writable cgroups: the slot's share was set, and its CPU time counted.
    assert any(line.startswith("cgroup v") and "1 cores" in line for line in reports[1].log), reports[1].log


def test_close_returns_whatever_the_submission_does(tmp_path, student_user):
    """Finding 2: a process that stops itself, ignores signals or never reaps cannot hold up the clean-up."""
    cell = ('import os, signal, time\n'
            'for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGCHLD):\n'
            '    signal.signal(s, signal.SIG_IGN)\n'
            'if os.fork() == 0:\n'
            '    os.setsid()\n'
            '    os.fork()\n'
            '    os.kill(os.getpid(), signal.SIGSTOP)\n'
            '    time.sleep(1000)\n')
    path = write_notebook(tmp_path / "stuck.ipynb", solution_cells() + [cell])
    started = time.monotonic()
    report = grade_notebook(path, user=student_user)
    assert time.monotonic() - started < 120  # it returned at all (bounded wait, not a timing assertion)
    assert report.score == report.max_score


def test_grade_refuses_without_a_sandbox_and_the_opt_out_marks_every_line(public_folder):
    """Deliver: where no sandbox is possible gdkit grade refuses, says what to install; the opt-out is loud."""
    nobwrap = public_folder / "bin"
    nobwrap.mkdir()
    for tool in ("prlimit", "setpriv", "unshare", "useradd", "kill", "sleep"):
        found = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
        if found:
            (nobwrap / tool).symlink_to(found)
    env = {**os.environ, "PATH": str(nobwrap)}
    notebook = write_notebook(public_folder / "sub.ipynb", solution_cells())
    gdkit = str(Path(sys.executable).parent / "gdkit")
    refused = subprocess.run([gdkit, "grade", str(notebook), "--out", str(public_folder / "a")], env=env,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode not in (0, 2), refused
    assert "bubblewrap" in refused.stderr and "apt-get install bubblewrap" in refused.stderr, refused.stderr
    assert not (public_folder / "a" / "grades.csv").exists()

    unsafe = subprocess.run([gdkit, "grade", str(notebook), "--out", str(public_folder / "b"), "--unsafe-no-sandbox"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert unsafe.returncode == 0, unsafe
    log = (public_folder / "b" / "sub" / "grading.log").read_text().splitlines()
    assert log and all(line.startswith(sandbox.UNSAFE_MARK) for line in log), log[:5]
    assert "score: 20 / 20" in "\n".join(log)

    check = subprocess.run([gdkit, "check", str(notebook)], env=env, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0 and "without a sandbox" in check.stderr, check


def test_the_runtime_runs_from_its_compiled_code_and_from_source_when_the_interpreter_differs(monkeypatch,
                                                                                               student_user):
    # The sandbox's init runs runtime.pyc when its magic number is the interpreter's (no compiling per
    # submission), else compiles runtime.py: a student interpreter of another version still starts.
    import importlib.util
    import marshal

    from gdkit.autograder.executor.session import RUNTIME, ExecutorSession

    future = "from __future__ import annotations\n"
    marked = RUNTIME.read_text().replace(future, future + "print('SEEN started compiled', flush=True)\n", 1)

    def compiled(magic: bytes):
        code = compile(marked, "/home/student/runtime.py", "exec", dont_inherit=True)
        return lambda runtime, inside: magic + bytes(12) + marshal.dumps(code)

    for magic, expected in ((importlib.util.MAGIC_NUMBER, True), (b"\x00\x00\r\n", False)):
        monkeypatch.setattr(sandbox, "compiled_runtime", compiled(magic))
        with ExecutorSession(user=student_user, isolation=sandbox.SANDBOX) as session:
            outcomes, _ = session.run_cells([(0, "print('SEEN cell ran')")], budget=10)
            deadline = time.monotonic() + 5
            while "SEEN cell ran" not in session.output() and time.monotonic() < deadline:
                time.sleep(0.05)
            output = session.output()
        assert outcomes[0].status == "ok", output
        assert ("SEEN started compiled" in output) == expected, (magic, output)


def test_student_code_sees_the_runtime_under_its_sandbox_path_not_the_graders(tmp_path, student_user):
    # The runtime's compiled code comes from the grader's install (its bytecode cache); its frames must still
    # name the file as the student process sees it, never where the grader is installed.
    from gdkit.autograder.executor.session import RUNTIME

    stack = "import traceback\nprint('SEEN stack', repr(''.join(traceback.format_stack())))"
    report = grade_notebook(write_notebook(tmp_path / "nb.ipynb", solution_cells() + [stack]), user=student_user)
    shown = seen(report)["stack"]
    assert "/home/student/runtime.py" in shown, shown
    assert str(RUNTIME.parent) not in shown, shown


def test_student_code_runs_with_the_garbage_collector_on(tmp_path, student_user):
    # The sandbox's init turns collections off for the start's imports; the student's cells and probes must
    # find them on, or cyclic garbage would pile up to the memory limit.
    probe = "import gc\nprint('SEEN gc', gc.isenabled(), gc.get_threshold()[0] > 0)"
    report = grade_notebook(write_notebook(tmp_path / "nb.ipynb", solution_cells() + [probe]), user=student_user)
    assert seen(report)["gc"] == "True True", report.output[-300:]


def test_student_code_gets_site_packages_but_not_the_installers_start_up_hooks(tmp_path, student_user):
    # The .pth files' import lines (an editable install's finder, setuptools' distutils shim) cost every sandbox
    # start about 12 ms and no notebook needs them: the init skips them and keeps the site-packages folders.
    import site
    import sysconfig

    hooks = set()
    for pth in Path(sysconfig.get_path("purelib")).glob("*.pth"):
        for line in pth.read_text(errors="replace").splitlines():
            if line.startswith(("import ", "import\t")):
                hooks |= set(re.findall(r"(?:import\s+|__import__\(['\"])([\w.]+)", line))
    hooks -= set(sys.stdlib_module_names)
    if not hooks:
        pytest.fail("needs a .pth import line in the venv (./dev's editable install and setuptools make two)")
    check = ("import sys, numpy\n"
             f"print('SEEN hooks', sorted(set(sys.modules).intersection({sorted(hooks)!r})))\n"
             f"print('SEEN site', {site.getsitepackages()[0]!r} in sys.path, callable(exit), callable(help))")
    report = grade_notebook(write_notebook(tmp_path / "nb.ipynb", solution_cells() + [check]), user=student_user)
    assert seen(report) == {"hooks": "[]", "site": "True True True"}, (sorted(hooks), report.output[-300:])


def test_in_the_sandbox_the_first_cells_run_in_a_child_of_its_init_with_no_fork_in_between(tmp_path, student_user):
    # The runtime's root only reaps, which the sandbox's init (pid 1) does already, and the head holds nothing yet
    # when the first cells come: each fork (of a process that has imported numpy) cost a start or the cells a few
    # ms, and as many again for the pages the child then copied. The cells run in the init's child itself.
    tree = ("import os\n"
            "print('SEEN tree', os.getppid(), sorted(int(p) for p in os.listdir('/proc') if p.isdigit()) == "
            "[1, os.getpid()])")
    report = grade_notebook(write_notebook(tmp_path / "nb.ipynb", solution_cells() + [tree]), user=student_user)
    assert seen(report)["tree"] == "1 True", report.output[-300:]
    assert report.score == 20, report.output[-300:]
