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
    from gdkit.autograder.executor.sandbox import SandboxUnavailable

    paths = [Path(p) for p in args.submissions]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"gdkit grade: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("gdkit grade: -j must be at least 1", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        reports = grade_all(paths, out, jobs=args.jobs, hidden_visibility=args.visibility,
                            progress=lambda line: print(line, file=sys.stderr), unsafe=args.unsafe_no_sandbox)
    except SandboxUnavailable as exc:
        print(f"gdkit grade: refusing to run other people's notebooks without a sandbox: {exc}", file=sys.stderr)
        return 3
    total = sum(r.score for r in reports)
    print(f"graded {len(reports)} submission(s) into {out}/ (grades.csv); mean score "
          f"{total / max(len(reports), 1):g} / {reports[0].max_score if reports else 0:g}")
    return 0


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
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="grade without bubblewrap's sandbox (only notebooks you trust; every log line says so)")
    p.set_defaults(func=_grade)

    p = sub.add_parser("check", help="run the public checks on a notebook (what students run)")
    p.add_argument("notebook", metavar="NOTEBOOK.ipynb")
    p.add_argument("--unsafe-no-sandbox", action="store_true", help="run without the sandbox even where it works")
    p.set_defaults(func=_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
