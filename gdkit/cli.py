"""The ``gdkit`` command line: one subcommand per job, each implemented in its own module."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile


def _experiment(args: argparse.Namespace) -> int:
    from gdkit.reference.experiment import run_experiment_cli

    return run_experiment_cli(args)


def _build(args: argparse.Namespace) -> int:
    from gdkit.build import run_build_cli

    return run_build_cli(args)


GRADE_EXIT = {"ok": 0, "problems": 1, "usage": 2, "preflight": 3, "interrupted": 130}


def _grade(args: argparse.Namespace) -> int:
    import gc

    # Collections off while the grader imports (numpy's and its own modules make garbage to scan, not cycles),
    # then what was imported frozen (in _grade_imported): the collections during grading do not scan it again.
    # On every way out they are on again.
    gc.disable()
    try:
        return _grade_imported(args)
    finally:
        gc.enable()


def _grade_imported(args: argparse.Namespace) -> int:
    import gc
    import warnings
    from pathlib import Path

    from gdkit.autograder.class_folder import InputError, find_submissions
    from gdkit.autograder.executor.sandbox import SandboxUnavailable
    from gdkit.autograder.executor.supply import Supply, cores, planned_sandboxing, verify

    # Third-party warnings (nbformat's on old notebooks ...) say nothing to an instructor: kept off the terminal.
    warnings.simplefilter("ignore")
    if not args.submissions:
        return _usage("grade", "the following arguments are required: SUBMISSION (notebook files or folders)")
    if args.jobs < 1:
        return _usage("grade", "-j must be at least 1")
    if args.jobs > cores():
        print(f"gdkit grade: -j {args.jobs} is more than the {cores()} cores here; grading {cores()} at a time",
              file=sys.stderr)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return _usage("grade", f"--out {out} is a file; give a folder (it is created if missing)")
    try:
        entries = find_submissions(args.submissions)
    except InputError as exc:
        return _usage("grade", str(exc))
    if not entries:
        return _usage("grade", f"no notebooks (.ipynb) found in {', '.join(args.submissions)}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"gdkit grade: cannot create --out {out}: {exc.strerror}", file=sys.stderr)
        return GRADE_EXIT["problems"]
    jobs = min(args.jobs, cores())
    try:
        # The first sandboxes boot while the grader imports its checks (numpy ...): a one-notebook grade waits
        # for the longer of the two, not their sum. Each session still serves one submission only (supply.py).
        how = planned_sandboxing(jobs, args.unsafe_no_sandbox)
        with Supply(how, ahead=jobs, expected=min(len(entries), jobs)) as supply:
            from gdkit.autograder.batch import grade_all
            if supply.first_failure() is not None:
                # A sandbox that comes up needs no separate check; one that did not is checked to say why.
                verify(how)
            from gdkit.progress import class_progress

            gc.freeze()
            gc.enable()

            with class_progress() as progress:
                result = grade_all(entries, out, jobs=jobs, hidden_visibility=args.visibility, force=args.force,
                                   progress=progress, supply=supply)
    except SandboxUnavailable as exc:
        print(f"gdkit grade: refusing to run other people's notebooks without a sandbox: {exc}", file=sys.stderr)
        return GRADE_EXIT["preflight"]
    except KeyboardInterrupt:  # before grade_all took over Ctrl-C: nothing was graded or written yet
        print("gdkit grade: interrupted before grading started", file=sys.stderr)
        return GRADE_EXIT["interrupted"]
    return _grade_summary(result, out)


def _grade_summary(result, out) -> int:
    """The closing line on stdout (problems on stderr) and the exit status of ``gdkit grade``."""
    if result.preflight_failure:
        print("gdkit grade: the known-good notebook did not score full marks in the grading sandbox, so nobody "
              "was graded (the whole class would have got zeros):", file=sys.stderr)
        for line in result.preflight_failure.splitlines():
            print(f"  {line}", file=sys.stderr)
        print("  Fix the install (the grading user must be able to run this Python and import numpy) and run "
              "the same command again.", file=sys.stderr)
        return GRADE_EXIT["preflight"]
    done = [o for o in result.outcomes if o.status != "unchanged"]
    if result.interrupted:
        print(f"gdkit grade: interrupted; {len(done)} notebook(s) graded in this run, {out}/grades.csv lists "
              "every result so far (run the same command to go on)", file=sys.stderr)
        return GRADE_EXIT["interrupted"]
    line = (f"graded {result.count('graded')}, not graded {result.count('not graded')}, internal errors "
            f"{result.count('internal error')}")
    unchanged = result.count("unchanged")
    if unchanged:
        line += f", {unchanged} unchanged (not graded again; --force regrades)"
    print(f"{line}; results in {out}/, grades.csv")
    for outcome in result.write_errors:
        print(f"gdkit grade: {outcome.entry.path}: not graded: {outcome.reason or outcome.write_error}",
              file=sys.stderr)
    if result.csv_error:
        print(f"gdkit grade: {out}/grades.csv not written: {result.csv_error}", file=sys.stderr)
    if result.report_error:
        print(f"gdkit grade: the class report was not written: {result.report_error}", file=sys.stderr)
    if result.write_errors or result.csv_error:
        print(f"gdkit grade: free space under {out}/ and in the temporary folder ({tempfile.gettempdir()}), then "
              "run the same command again (graded notebooks are not graded twice)", file=sys.stderr)
    return GRADE_EXIT["ok"] if result.ok else GRADE_EXIT["problems"]


def _usage(command: str, message: str) -> int:
    print(f"gdkit {command}: {message}", file=sys.stderr)
    return GRADE_EXIT["usage"]


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gdkit.autograder.batch import print_check_summary
    from gdkit.autograder.executor import sandbox
    from gdkit.autograder.grade import grade_notebook

    path = Path(args.notebook)
    if not path.is_file():
        print(f"gdkit check: no such file: {path}", file=sys.stderr)
        return 2
    # One's own notebook may run unsandboxed (a laptop without bubblewrap); say so.
    fallback = sandbox.USER_SWITCH if sandbox.is_root() else sandbox.NONE
    if sandbox.is_root():
        with sandbox.exclusive_user() as user:
            isolation, line = sandbox.choose(sys.executable, user, fallback=fallback)
            if args.unsafe_no_sandbox:
                isolation, line = fallback, "--unsafe-no-sandbox"
            report = grade_notebook(path, public_only=True, user=user, isolation=isolation)
    else:
        isolation, line = sandbox.choose(sys.executable, None, fallback=fallback)
        if args.unsafe_no_sandbox:
            isolation, line = fallback, "--unsafe-no-sandbox"
        report = grade_notebook(path, public_only=True, isolation=isolation)
    if isolation != sandbox.SANDBOX:
        print(f"note: your notebook ran without a sandbox ({line})", file=sys.stderr)
    print_check_summary(report)
    return 0 if report.score == report.max_score else 1


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gdkit.autograder.results.report import write_report

    out = Path(args.out)
    if not out.is_dir():
        print(f"gdkit report: {out} is not a folder (give the --out folder of gdkit grade)", file=sys.stderr)
        return 2
    if not any(out.glob("*/results.json")):
        print(f"gdkit report: no <folder>/results.json under {out}: grade into it first (gdkit grade ... --out "
              f"{out})", file=sys.stderr)
        return 2
    try:
        print(f"report: {write_report(out)}")
    except OSError as exc:
        print(f"gdkit report: cannot write the report: {exc}", file=sys.stderr)
        return 1
    return 0


def _export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gdkit.autograder.results.export import RosterError, write_export

    out = Path(args.out)
    if not out.is_dir() or not any(out.glob("*/results.json")):
        print(f"gdkit export: no <folder>/results.json under {out}: give the --out folder of gdkit grade",
              file=sys.stderr)
        return 2
    if args.roster and not Path(args.roster).is_file():
        print(f"gdkit export: roster not found: {args.roster}", file=sys.stderr)
        return 2
    try:
        done = write_export(out, args.format, roster=Path(args.roster) if args.roster else None,
                            output=Path(args.output) if args.output else None, assignment=args.assignment)
    except RosterError as exc:
        print(f"gdkit export: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"gdkit export: cannot write the export: {exc}", file=sys.stderr)
        return 1
    print(f"{args.format} export: {done.path} ({done.rows} row(s))")
    for m in done.unmatched:
        print(f"  NOT MATCHED: {m.member or m.result.folder} ({m.result.folder}, score {m.result.score:g}): "
              f"{m.problem}", file=sys.stderr)
    for m in done.not_exported:
        print(f"  NOT EXPORTED: {m.member or m.result.folder} ({m.result.folder}): {m.problem}", file=sys.stderr)
    if done.no_submission:
        names = ", ".join(e.name or e.email or e.sid for e in done.no_submission)
        print(f"  on the roster without a submission ({len(done.no_submission)}): {names}", file=sys.stderr)
    if done.unmatched_path:
        print(f"  {len(done.unmatched) + len(done.not_exported)} submission(s) left out, listed in "
              f"{done.unmatched_path}", file=sys.stderr)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gdkit.demo import run_demo

    return run_demo(Path(args.out))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gdkit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="the instructor path on bundled defaults: experiments, build, grade, report")
    p.add_argument("--out", default="dist", help="output folder (default: dist)")
    p.set_defaults(func=_demo)

    p = sub.add_parser("experiment", help="run one reference experiment (linear or logistic)")
    p.add_argument("kind", choices=["linear", "logistic"])
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: 0.1 linear, 1.0 logistic)")
    p.add_argument("--iters", type=int, default=None, help="number of iterations (default 400)")
    p.add_argument("--every", type=int, default=1, help="print the loss every K iterations (default 1)")
    p.add_argument("--plot", default=None, metavar="FILE.png", help="save the loss curve to this PNG")
    p.set_defaults(func=_experiment)

    p = sub.add_parser("build", help="build the student notebook (dist/student/) from the master notebook")
    p.add_argument("--master", default=None, help="master notebook (default: assignment/master.ipynb)")
    p.add_argument("--out", default="dist", help="output folder (default: dist)")
    p.set_defaults(func=_build)

    _grade_parser(sub)
    _check_parser(sub)
    _class_results_parsers(sub)
    return parser


def _grade_parser(sub) -> None:
    p = sub.add_parser("grade", help="grade submissions with the hidden checks (results.json + grades.csv)")
    p.add_argument("submissions", nargs="*", metavar="SUBMISSION",
                   help="notebooks, or folders: searched for notebooks, a Gradescope export, nbgrader's submitted/")
    p.add_argument("--out", required=True, help="folder for <student>/results.json and grades.csv")
    p.add_argument("-j", "--jobs", type=int, default=1,
                   help="submissions graded in parallel (default 1; at most the cores the machine has)")
    p.add_argument("--visibility", default="after_published",
                   choices=["hidden", "after_due_date", "after_published", "visible"],
                   help="visibility of the hidden checks in results.json (default after_published)")
    p.add_argument("--force", action="store_true", help="grade again notebooks already graded by this grader")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="grade without bubblewrap's sandbox (only notebooks you trust; every log line says so)")
    p.set_defaults(func=_grade)


def _check_parser(sub) -> None:
    p = sub.add_parser("check", help="run the public checks on a notebook (what students run)")
    p.add_argument("notebook", metavar="NOTEBOOK.ipynb")
    p.add_argument("--unsafe-no-sandbox", action="store_true", help="run without the sandbox even where it works")
    p.set_defaults(func=_check)


def split_files(argv: list[str]) -> tuple[list[str], list[str]]:
    """(the options, the files) of ``gdkit grade``'s arguments: everything after ``--`` is a file, and so is an
    existing notebook whose name looks like an option (``-j0.ipynb`` from a shell's ``*.ipynb``)."""
    if argv[:1] != ["grade"]:
        return argv, []
    tail: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, tail = argv[:at], argv[at + 1:]
    files = [a for a in argv[1:] if a.startswith("-") and a.endswith(".ipynb") and os.path.isfile(a)]
    return [a for a in argv if a not in files], files + tail


def _class_results_parsers(sub) -> None:
    p = sub.add_parser("report", help="write OUT/report.html (class report) and each student's feedback.html")
    p.add_argument("out", metavar="OUT", help="the --out folder of gdkit grade")
    p.set_defaults(func=_report)

    p = sub.add_parser("export", help="the class's scores as a Canvas / Gradescope / plain CSV, matched to a roster")
    p.add_argument("out", metavar="OUT", help="the --out folder of gdkit grade")
    p.add_argument("--format", required=True, choices=["canvas", "gradescope", "csv"])
    p.add_argument("--roster", default=None, metavar="ROSTER.csv",
                   help="students to match (Canvas's or Gradescope's roster/gradebook export); required for canvas")
    p.add_argument("--output", default=None, metavar="FILE.csv", help="default: OUT/export-<format>.csv")
    p.add_argument("--assignment", default="Gradient descent",
                   help="Canvas assignment column: an existing one as 'Name (id)' from Canvas's export, else a new "
                        "one is created (default: 'Gradient descent')")
    p.set_defaults(func=_export)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    options, files = split_files(list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(options)
    if files:
        args.submissions = [*args.submissions, *files]
    return int(args.func(args) or 0)


def entry() -> None:
    """The ``gdkit`` command (and ``python -m gdkit.cli``).

    ``gdkit grade`` leaves with ``os._exit``: by then every file is written and closed, every student process and
    worker thread has ended, so the interpreter's tear-down of numpy and the grader's modules (about 35 ms, a
    tenth of a one-notebook grade) does nothing worth waiting for. Other commands exit normally: theirs may run
    clean-ups at exit (Jupyter kernels, temporary folders).
    """
    code = main()
    if sys.argv[1:2] == ["grade"]:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
