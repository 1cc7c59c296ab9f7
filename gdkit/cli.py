"""The ``gdkit`` command line: one subcommand per job, each implemented in its own module."""

from __future__ import annotations

import argparse
import sys


def _experiment(args: argparse.Namespace) -> int:
    from gdkit.reference.experiment import run_experiment_cli

    return run_experiment_cli(args)


def _build(args: argparse.Namespace) -> int:
    from gdkit.build import run_build_cli

    return run_build_cli(args)


def _grade(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gdkit.autograder.batch import grade_all

    paths = [Path(p) for p in args.submissions]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"gdkit grade: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("gdkit grade: -j must be at least 1", file=sys.stderr)
        return 2
    out = Path(args.out)
    reports = grade_all(paths, out, jobs=args.jobs, hidden_visibility=args.visibility,
                        progress=lambda line: print(line, file=sys.stderr))
    total = sum(r.score for r in reports)
    print(f"graded {len(reports)} submission(s) into {out}/ (grades.csv); mean score "
          f"{total / max(len(reports), 1):g} / {reports[0].max_score if reports else 0:g}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gdkit.autograder.batch import print_check_summary
    from gdkit.autograder.executor import hiding, sandbox
    from gdkit.autograder.grade import grade_notebook

    path = Path(args.notebook)
    if not path.is_file():
        print(f"gdkit check: no such file: {path}", file=sys.stderr)
        return 2
    if sandbox.is_root():
        with sandbox.exclusive_user() as user:
            report = grade_notebook(path, public_only=True, user=user,
                                    private=[*hiding.gdkit_files(), path.resolve().parent])
    else:
        report = grade_notebook(path, public_only=True)
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

    p = sub.add_parser("grade", help="grade submissions with the hidden checks (results.json + grades.csv)")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION.ipynb")
    p.add_argument("--out", required=True, help="folder for <notebook stem>/results.json and grades.csv")
    p.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded in parallel (default 1)")
    p.add_argument("--visibility", default="after_published",
                   choices=["hidden", "after_due_date", "after_published", "visible"],
                   help="visibility of the hidden checks in results.json (default after_published)")
    p.set_defaults(func=_grade)

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

    p = sub.add_parser("check", help="run the public checks on a notebook (what students run)")
    p.add_argument("notebook", metavar="NOTEBOOK.ipynb")
    p.set_defaults(func=_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
