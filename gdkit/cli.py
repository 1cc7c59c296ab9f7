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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gdkit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
