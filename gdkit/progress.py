"""The progress bar of ``gdkit grade`` on a terminal (rich): done/total, elapsed, ETA, the slowest notebook now.

Not a terminal (a log file, CI, a pipe), nothing is shown: the closing line says what happened.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def class_progress(stream=None) -> Iterator[Callable[[dict], None] | None]:
    """A callback for :func:`gdkit.autograder.batch.grade_all`'s ``progress``, or None when ``stream`` (default
    stderr) is not a terminal."""
    stream = stream or sys.stderr
    if not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TextColumn("elapsed"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[slowest]}"))
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task("grading", total=None, slowest="")

        def update(state: dict) -> None:
            running = state["running"]
            slowest = ""
            if running:
                name, seconds = max(running.items(), key=lambda item: item[1])
                slowest = f"slowest now: {name} ({seconds:.0f} s)"
            bar.update(task, completed=state["done"], total=state["total"], slowest=slowest)

        yield update
