"""Grading a class: many notebooks, optionally in parallel, each to its own results.json, plus grades.csv.

- Every write is guarded: a full disk or an unwritable folder costs the notebooks it touches a "not graded"
  with the reason, never the batch.
- A provisional results.json is written before a notebook is graded, the final one after; grades.csv is
  rebuilt at the end from every results.json under ``out`` (never from this run alone).
- A notebook whose bytes, seed, grader version, assignment declaration and visibility are unchanged since its
  last results.json is not graded again (``force`` regrades).
- Nothing is written until this run has shown that the install grades right (a broken install would otherwise
  give the whole class zeros): by a notebook with full marks on the public checks, which exercise all the
  install does (the interpreter, numpy, the sandbox, cells, probes and substituted helpers), else by the
  known-good notebook, run in the same sandbox as soon as a notebook falls short; if that one falls short too,
  nobody is graded (see :class:`Gate`).
- Each slot's next sandbox starts while the slot grades its current notebook (:mod:`.executor.supply`).
- Ctrl-C stops starting notebooks, ends the ones running, writes the CSV for what is done.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from gdkit import __version__
from gdkit.autograder import grade as grading
from gdkit.autograder.checks import CONTRACT, assignment_fingerprint, descent, points_per_function
from gdkit.autograder.class_folder import Entry, folder_names
from gdkit.autograder.executor import sandbox
from gdkit.autograder.executor.supply import Supply, cores, sandboxing
from gdkit.autograder.grade import (
    GRADED,
    INTERNAL_ERROR,
    KNOWN_GOOD,
    NOT_GRADED,
    GradeReport,
    grade_notebook,
    not_graded_report,
    plain_text,
    seed_for,
)
from gdkit.autograder.results.atomic import write_text_atomically
from gdkit.autograder.results.gradescope import VISIBILITIES, provisional_results, results_json, write_atomically
from gdkit.autograder.results.report import write_report

INTERNAL_ERROR_REASON = ("the grader hit an internal error on this notebook (not your fault; your instructor "
                         "has the details)")
PROVISIONAL = "Grading did not complete: please resubmit or ask your instructor."
INTERRUPTED = "grading was interrupted (Ctrl-C) before this notebook was done; run gdkit grade again"
DISK_FULL = "disk full"
CSV_COLUMNS = ["student", "student_id", "submission", "status", "score", "max_score", *CONTRACT, "reason"]
POLL = 0.2  # seconds between the main thread's looks at the workers (progress, Ctrl-C)


@dataclass
class Outcome:
    """What happened to one submission in this run."""

    entry: Entry
    folder: str
    status: str  # graded | not graded | internal error | unchanged
    score: float = 0.0
    reason: str = ""
    write_error: str = ""  # results could not be written (disk full ...)
    report: GradeReport | None = None  # None when not graded in this run


@dataclass
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)
    preflight_failure: str = ""  # why nobody was graded
    interrupted: bool = False
    csv_error: str = ""
    report_error: str = ""

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def reports(self) -> list[GradeReport]:
        """The reports of the notebooks graded in this run, in the order given."""
        return [o.report for o in self.outcomes if o.report is not None]

    @property
    def write_errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.write_error]

    @property
    def ok(self) -> bool:
        """Every submission has results of its own making (a broken notebook's zero counts as one)."""
        return not (self.preflight_failure or self.interrupted or self.csv_error or self.report_error
                    or self.write_errors
                    or self.count(INTERNAL_ERROR))


# -- grading one notebook (the only place that knows how a submission is isolated) ---------------------------

def _marked(text: str, unsafe: bool) -> str:
    """With ``--unsafe-no-sandbox`` every line says so, so no log is mistaken for a sandboxed run."""
    if not unsafe:
        return text
    return "".join(f"{sandbox.UNSAFE_MARK} {line}" for line in text.splitlines(keepends=True))


def grade_in_sandbox(path: Path, supply: Supply, *, submission_id: str | None = None,
                     public_only: bool = False) -> GradeReport:
    """Grade one notebook in sandboxes of ``supply`` (each its own student user when root)."""
    return grade_notebook(path, public_only=public_only, submission_id=submission_id, sessions=supply.take)


# -- the batch ---------------------------------------------------------------------------------------------------

def grade_all(submissions: Sequence[Entry | Path], out: Path, *, jobs: int = 1,
              hidden_visibility: str = "after_published", public_only: bool = False, force: bool = False,
              python: str | None = None, preflight: bool = True, unsafe: bool = False,
              progress: Callable[[dict], None] | None = None, supply: Supply | None = None) -> BatchResult:
    """Grade ``submissions`` into ``out`` (see the module's docstring); ``progress`` gets a dict
    (done, total, running: {folder: seconds}) about every POLL seconds and after each notebook.

    ``supply``: sessions already starting (``gdkit grade`` starts them before it imports the grader); its
    sandboxing then replaces ``unsafe`` and ``python``. By default the batch starts its own, each slot's next
    session while the slot grades its current notebook.
    """
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}; got {hidden_visibility!r}")
    # More slots than cores only cut the CPU into shares too small for the cells' CPU-time limits.
    jobs = max(1, min(jobs, cores()))
    entries = [s if isinstance(s, Entry) else Entry(Path(s), Path(s).stem) for s in submissions]
    out.mkdir(parents=True, exist_ok=True)
    names = assign_folders(entries, out)
    fingerprint = f"{__version__}+{assignment_fingerprint()}"
    # Student code sees none of gdkit, the class's submissions or the results: the sandbox's filesystem is an
    # allow-list (autograder/executor/allowlist.py).
    how = supply.how if supply is not None else sandboxing(jobs, unsafe, python)
    own_supply = supply is None
    result = BatchResult()
    stop = threading.Event()
    grading.reset_abort()
    previous = _on_sigint(stop)
    try:
        todo: list[tuple[Entry, str]] = []
        for entry, name in zip(entries, names, strict=True):
            unchanged = None if force else _unchanged(entry, out / name, fingerprint, hidden_visibility)
            if unchanged is not None:
                result.outcomes.append(unchanged)
            else:
                todo.append((entry, name))
        # One session per notebook to grade (a broken file needs none); the preflight, rarely run, starts its own.
        needed = sum(not entry.problem for entry, _ in todo)
        if supply is None:
            supply = Supply(how, ahead=jobs, expected=needed)
        else:
            supply.expect(needed)
        running: dict[str, float] = {}

        def report_progress() -> None:
            if progress:
                now = time.monotonic()
                progress({"done": len(result.outcomes), "total": len(entries),
                          "running": {n: now - t for n, t in list(running.items())}})

        report_progress()
        if todo:  # while the first sandboxes start and the first cells run, when the grader only waits
            threading.Thread(target=descent.warm_up, name="gdkit-warm-up", daemon=True).start()
        # The preflight has a thread of its own: it is ours, not one of the slots the students' notebooks share.
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, ThreadPoolExecutor(max_workers=1) as own:
            def known_good() -> Future:
                check = own.submit(grade_in_sandbox, KNOWN_GOOD, supply, public_only=True)
                check.add_done_callback(lambda future: gate.settle(_preflight_verdict(future)))
                return check

            gate = Gate(known_good if preflight else None, stop)

            def one(entry: Entry, name: str) -> Outcome | None:
                if stop.is_set():
                    return None
                running[name] = time.monotonic()
                try:
                    return _grade_and_write(entry, out / name, name, fingerprint, hidden_visibility,
                                            public_only, supply, stop, gate)
                finally:
                    running.pop(name, None)

            def collect(future: Future) -> None:
                outcome = None if future.cancelled() else future.result()
                if outcome is not None:
                    result.outcomes.append(outcome)

            _wait_all([pool.submit(one, entry, name) for entry, name in todo], stop, report_progress, collect)
            _wait_all(gate.preflights, stop, report_progress)  # one started late still ends before the CSV
        result.preflight_failure = gate.failure
        result.interrupted = stop.is_set() and not gate.failure
    finally:
        if own_supply and supply is not None:
            supply.close()  # sessions started for notebooks an interruption left ungraded
        order = {id(entry): n for n, entry in enumerate(entries)}
        result.outcomes.sort(key=lambda o: order[id(o.entry)])
        result.csv_error = write_csv(out)
        # The class report (HTML), from the same results.json files as grades.csv, after every run.
        try:
            write_report(out)
        except OSError as exc:
            result.report_error = f"{out / 'report.html'}: {exc.strerror or exc}"
        grading.reset_abort()  # the batch is over: a later grade in this process must not be refused
        if previous is not None:  # only now: a second Ctrl-C while the CSV is written changes nothing
            signal.signal(signal.SIGINT, previous)
    return result


class Gate:
    """Whether results may be written: only once this run has shown that the install can grade (or when there is
    no preflight). Shown by a notebook that scored full marks on the public checks, which exercise all the
    install does (the interpreter, numpy, the sandbox, cells, probes, substituted helpers): the first graded
    notebook to do so opens the gate. A notebook that does not leaves open whether the install is to blame, so
    it starts the known-good notebook (:data:`KNOWN_GOOD`, once per run); if that does not score full marks
    either, the batch stops like Ctrl-C and nothing of it is written: nobody gets a grade from a broken install.
    The first verdict stands.
    """

    def __init__(self, known_good: Callable[[], Future] | None, stop: threading.Event) -> None:
        self._known_good = known_good
        self._stop = stop
        self._settled = threading.Event()
        self._lock = threading.Lock()
        self.failure = ""
        self.preflights: list[Future] = []  # the known-good notebook's run, once started
        self._asked = False
        if known_good is None:
            self._settled.set()

    def settle(self, failure: str) -> None:
        with self._lock:
            if self._settled.is_set():
                return
            if self._stop.is_set():  # Ctrl-C came first and killed the known-good notebook: its score means nothing
                failure = ""
            self.failure = failure
            self._settled.set()
        if failure:
            self._stop.set()

    def vouch(self, report: GradeReport) -> None:
        """Settle on ``report`` when it shows the install grades; else have the known-good notebook decide."""
        if self._settled.is_set():
            return
        if shows_working_install(report):
            self.settle("")
            return
        with self._lock:
            if self._asked or self._known_good is None or self._settled.is_set():
                return
            self._asked = True
        # Outside the lock: a run that ends at once calls settle() from this thread.
        self.preflights.append(self._known_good())

    @property
    def open(self) -> bool:
        return self._settled.is_set() and not self.failure

    def wait(self, stop: threading.Event) -> bool:
        """Block until settled (or Ctrl-C); True when results may be written."""
        while not self._settled.wait(POLL):
            if stop.is_set():
                return False
        return self.open


def shows_working_install(report: GradeReport) -> bool:
    """Graded in a sandbox with full marks on its public checks: what the known-good notebook would show."""
    public = [o for o in report.outcomes if o.check.public]
    return report.status == GRADED and bool(public) and all(o.passed for o in public)


def _preflight_verdict(future: Future) -> str:
    """"" when the known-good notebook scored full marks in the class's sandbox, else why not."""
    try:
        return grading.preflight_problem(future.result()) or ""
    except Exception as exc:  # the sandbox itself failed (disk full, a grader bug): say what
        return f"grading it failed: {type(exc).__name__}: {exc}"


def _on_sigint(stop: threading.Event):
    """Ctrl-C sets ``stop`` (the main loop then ends the running notebooks); None outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, lambda signum, frame: stop.set())


def _wait_all(futures: list[Future], stop: threading.Event, tick: Callable[[], None],
              on_done: Callable[[Future], None] | None = None) -> list[Future]:
    """Wait for ``futures`` from the main thread, waking every POLL s for progress and Ctrl-C."""
    pending = set(futures)
    aborted = False
    while pending:
        done, pending = wait(pending, timeout=POLL, return_when=FIRST_COMPLETED)
        for future in done:
            if on_done:
                on_done(future)
        if stop.is_set() and not aborted:
            aborted = True
            grading.abort_all()  # end the student processes now, not at their time limits
            for future in pending:
                future.cancel()
        tick()
    return futures


def _grade_and_write(entry: Entry, folder: Path, name: str, fingerprint: str, visibility: str, public_only: bool,
                     supply: Supply, stop: threading.Event, gate: Gate) -> Outcome | None:
    identity = {**entry.identity(), "source": entry.key, "fingerprint": fingerprint,
                "hidden_visibility": visibility}
    previous = _read_results(folder / "results.json")
    # A provisional results.json marks a grade under way (a crash leaves "did not complete", never stale marks);
    # before the preflight's verdict nothing is written at all.
    provisional = gate.open
    if provisional:
        error = guarded_write(folder / "results.json", provisional_results(PROVISIONAL, identity))
        if error:  # nothing can be recorded for it: do not spend a sandbox on it
            return Outcome(entry, name, NOT_GRADED, reason=error, write_error=error)
    started = time.monotonic()
    disk_full = False
    try:
        if entry.problem:
            report = not_graded_report(entry.path, entry.problem, started, public_only=public_only)
        else:
            report = grade_in_sandbox(entry.path, supply, submission_id=entry.submission_id,
                                      public_only=public_only)
        document = results_json(report, visibility, identity)
    except Exception as exc:  # a grader bug costs this notebook a zero with a reason, never the batch
        disk_full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
        # A full disk under the grader's own working files (the sandbox's run folder) is not the student's doing.
        reason = (f"{DISK_FULL} (the grader could not write its working files; not your fault)" if disk_full
                  else INTERNAL_ERROR_REASON)
        report = not_graded_report(entry.path, reason, started, public_only=public_only,
                                   log=["disk full:" if disk_full else "internal error:", traceback.format_exc()],
                                   status=NOT_GRADED if disk_full else INTERNAL_ERROR)
        document = results_json(report, visibility, identity)
    gate.vouch(report)
    if not gate.wait(stop) or stop.is_set():
        # Interrupted (its processes were killed midway, so this report is not a grade) or the preflight failed.
        if provisional:
            guarded_write(folder / "results.json", previous or provisional_results(INTERRUPTED, identity))
        return None
    error = guarded_write(folder / "results.json", document)
    log_error = _guarded_text(folder / "grading.log", _marked(_log_text(entry, report), supply.how.unsafe))
    if error:
        return Outcome(entry, name, NOT_GRADED, reason=error, write_error=error, report=report)
    return Outcome(entry, name, report.status, report.score, report.reason,
                   write_error=DISK_FULL if disk_full else log_error, report=report)


def _read_results(path: Path) -> dict | None:
    """A complete results.json from an earlier run (put back if this run is interrupted), else None."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    extra = document.get("extra_data") if isinstance(document, dict) else None
    complete = isinstance(extra, dict) and extra.get("status") in (GRADED, NOT_GRADED, INTERNAL_ERROR) \
        and "sha256" in extra
    return document if complete else None


def _unchanged(entry: Entry, folder: Path, fingerprint: str, visibility: str) -> Outcome | None:
    """The previous outcome when this exact notebook was already graded by this exact grader, else None."""
    if entry.problem:
        return None
    try:
        document = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        sha256 = hashlib.sha256(entry.path.read_bytes()).hexdigest()
    except (OSError, ValueError):
        return None
    extra = document.get("extra_data") if isinstance(document, dict) else None
    if not isinstance(extra, dict) or extra.get("status") not in (GRADED, NOT_GRADED):
        return None
    same = (extra.get("sha256") == sha256 and extra.get("seed") == seed_for(sha256, entry.submission_id)
            and extra.get("fingerprint") == fingerprint and extra.get("hidden_visibility") == visibility
            and extra.get("source") == entry.key)
    if not same:
        return None
    return Outcome(entry, folder.name, "unchanged", float(document.get("score", 0)), str(extra.get("reason", "")))


def assign_folders(entries: list[Entry], out: Path) -> list[str]:
    """Output folder names, unique under ``out`` across runs: a submission graded before keeps its folder; a
    new one never takes the folder of another submission."""
    owners: dict[str, str] = {}  # folder -> the submission (Entry.key) whose results it holds
    for path in out.glob("*/results.json"):
        try:
            owners[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))["extra_data"]["source"]
        except (OSError, ValueError, KeyError, TypeError):
            owners[path.parent.name] = ""
    wanted = folder_names(entries)
    names: list[str] = []
    for entry, base in zip(entries, wanted, strict=True):
        source = entry.key
        name, n = base, 1
        while name in names or owners.get(name, source) != source:
            n += 1
            name = f"{base}-{n}"
        names.append(name)
    return names


# -- writing ------------------------------------------------------------------------------------------------

def _describe(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DISK_FULL
    return f"cannot write results: {exc.strerror or exc}"


def guarded_write(path: Path, document: dict) -> str:
    """Write a results.json; "" on success, else the reason ("disk full" ...). Never raises for the OS's sake."""
    try:
        write_atomically(path, document)
    except OSError as exc:
        return _describe(exc)
    return ""


def _guarded_text(path: Path, text: str) -> str:
    try:
        write_text_atomically(path, text)
    except OSError as exc:
        return _describe(exc)
    return ""


def _log_text(entry: Entry, report: GradeReport) -> str:
    lines = [f"student: {entry.student}", f"submission: {report.path}", f"status: {report.status}",
             f"sha256: {report.sha256}", f"seed: {report.seed}", f"score: {report.score:g} / {report.max_score:g}",
             f"seconds: {report.seconds:.3f}", *report.log, "--- student output (capped) ---", report.output]
    return "\n".join(lines) + "\n"


def csv_rows(out: Path) -> list[dict[str, str]]:
    """One row per results.json under ``out``, sorted by student: what grades.csv holds."""
    total = sum(points_per_function().values())
    rows = []
    for path in sorted(out.glob("*/results.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            extra = document.get("extra_data") or {}
            tests = document.get("tests") or []
        except (OSError, ValueError, AttributeError):
            document, extra, tests = {}, {}, []
        scores = {fn: 0.0 for fn in CONTRACT}
        for test in tests:
            tags = test.get("tags") or []
            if tags and tags[0] in scores:
                scores[tags[0]] += float(test.get("score", 0))
        status = extra.get("status") or NOT_GRADED
        reason = extra.get("reason") or ("" if status == GRADED else "grading did not complete")
        rows.append({
            "student": str(extra.get("student") or path.parent.name),
            "student_id": str(extra.get("student_id") or ""),
            "submission": str(extra.get("submission") or ""),
            "status": status,
            "score": f"{float(document.get('score', 0)):g}",
            "max_score": f"{sum(float(t.get('max_score', 0)) for t in tests) or total:g}",
            **{fn: f"{v:g}" for fn, v in scores.items()},
            "reason": " ".join(str(reason).split()),
            "_folder": path.parent.name,
        })
    rows.sort(key=lambda r: (r["student"].casefold(), r["_folder"]))
    return rows


def write_csv(out: Path) -> str:
    """Rebuild ``out/grades.csv`` from every results.json under ``out``; "" on success, else the reason."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(csv_rows(out))
    return _guarded_text(out / "grades.csv", buffer.getvalue())


def print_check_summary(report: GradeReport, stream=sys.stdout) -> None:
    """The student-facing summary of ``gdkit check``: one line per check, then what to fix."""
    print(plain_text(report.summary), file=stream)
    print(file=stream)
    for outcome in report.outcomes:
        mark = "PASS" if outcome.passed else "FAIL"
        print(f"[{mark}] {outcome.check.title} ({outcome.score:g}/{outcome.check.points:g})", file=stream)
        if not outcome.passed:
            for line in plain_text(outcome.message).splitlines():
                print(f"       {line}", file=stream)
    print(f"\nPublic checks: {report.score:g} / {report.max_score:g} points. Hidden checks are run when you "
          "submit.", file=stream)
