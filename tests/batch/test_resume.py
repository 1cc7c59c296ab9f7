"""Safe, resumable runs: grades.csv from every results.json under --out, unchanged notebooks not regraded,
Ctrl-C leaving valid results, a CSV that matches them and no process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gdkit.autograder.results.gradescope import validate

from classroom import gdkit, read_csv, results
from solutions import WRONG, solution_cells, write_notebook


def _stamps(out: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/results.json")}


def test_a_rerun_grades_only_what_changed_and_the_csv_keeps_everyone(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    paths = [write_notebook(folder / f"{name}.ipynb", solution_cells()) for name in ("amy", "ben", "cy")]
    out = tmp_path / "out"
    first = gdkit("grade", *map(str, paths), "--out", str(out), "-j", "2")
    assert first.returncode == 0, first.stdout + first.stderr
    before = _stamps(out)

    write_notebook(paths[1], solution_cells(sigmoid=WRONG["sigmoid"]))
    second = gdkit("grade", *map(str, paths), "--out", str(out), "-j", "2")
    assert second.returncode == 0, second.stdout + second.stderr
    after = _stamps(out)
    assert [name for name in before if after[name] != before[name]] == ["ben"]
    assert "graded 1" in second.stdout and "2 unchanged" in second.stdout, second.stdout

    # Regrading one student alone keeps the others' rows: the CSV comes from every results.json under --out.
    write_notebook(paths[2], solution_cells(sigmoid=WRONG["sigmoid"]))
    third = gdkit("grade", str(paths[2]), "--out", str(out))
    assert third.returncode == 0, third.stdout + third.stderr
    rows = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert sorted(rows) == ["amy", "ben", "cy"]
    assert float(rows["amy"]["score"]) == 20 and float(rows["cy"]["score"]) < 20

    forced = gdkit("grade", *map(str, paths), "--out", str(out), "--force")
    assert forced.returncode == 0
    assert all(_stamps(out)[name] != after[name] for name in ("amy", "ben")), "--force regrades"


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ctrl_c_mid_batch_leaves_valid_results_a_matching_csv_and_no_process(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    paths = [write_notebook(folder / "a1.ipynb", solution_cells()),
             write_notebook(folder / "a2.ipynb", solution_cells()),
             write_notebook(folder / "a3-slow.ipynb", [*solution_cells(), "import time\ntime.sleep(25)"]),
             write_notebook(folder / "a4.ipynb", solution_cells())]
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "gdkit.cli", "grade", *map(str, paths), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until the slow notebook is being graded
        done = {n for n, d in results(out).items() if d.get("extra_data", {}).get("status") == "graded"}
        if {"a1", "a2"} <= done and (out / "a3-slow" / "results.json").exists():
            break
        time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError("the batch never reached the slow notebook")
    time.sleep(1.0)  # let its cells start
    running = _descendants(proc.pid)
    assert running, "the slow notebook's student process should be running"
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert len((stdout + stderr).strip().splitlines()) == 1, stdout + stderr
    assert not [pid for pid in running if _alive(pid)], "a process of the batch outlived it"
    try:
        os.killpg(proc.pid, 0)
        raise AssertionError("a process of the batch's group is still alive")
    except ProcessLookupError:
        pass
    documents = results(out)
    for document in documents.values():
        validate(document)
    rows = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert sorted(rows) == sorted(d["extra_data"]["student"] for d in documents.values())
    for document in documents.values():
        row = rows[document["extra_data"]["student"]]
        assert row["status"] == document["extra_data"]["status"]
        assert float(row["score"]) == document["score"]
    assert rows["a1"]["status"] == "graded" and float(rows["a1"]["score"]) == 20
    assert "a4" not in rows or rows["a4"]["status"] != "graded"
    assert rows["a3-slow"]["status"] == "not graded" and "interrupted" in rows["a3-slow"]["reason"]
    # The next run picks up where this one stopped: a1 and a2 are not graded again.
    stamps = _stamps(out)
    rerun = gdkit("grade", *map(str, paths[:2]), str(paths[3]), "--out", str(out))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert _stamps(out)["a1"] == stamps["a1"] and read_csv(out / "grades.csv")
    assert {r["student"]: r["status"] for r in read_csv(out / "grades.csv")}["a4"] == "graded"
