"""The experiment: the seed's printout, the optimum comparison, the iteration count, the plot."""

import argparse

import numpy as np
import pytest

import gdkit.reference.experiment as experiment
from gdkit.reference import linear_data, linear_optimum, run_experiment, run_experiment_cli


def run(*args, **kwargs):
    lines = []
    result = run_experiment(*args, write=lines.append, **kwargs)
    return result, lines


def test_linear_defaults_print_the_seed_table():
    result, lines = run("linear", None, None, every=1)
    for line in ["0) loss: 3.9923695504740464", "1) loss: 2.8107099480787543", "2) loss: 2.0042900376700956"]:
        assert line in lines
    assert sum(") loss: " in line for line in lines) == 400
    assert "Parameters using normal equation:  [[2.04538199 2.99820939 4.01335274]]" in lines
    assert result["lr"] == 0.1 and result["iters"] == 400
    assert result["losses"].shape == (400,)
    np.testing.assert_array_equal(result["optimum"], linear_optimum(*linear_data()))
    assert result["max_abs_diff"] == pytest.approx(np.max(np.abs(result["theta"] - result["optimum"])))
    assert 1e-2 < result["max_abs_diff"] < 1e-1  # 400 iterations at 0.1 are not enough for 1e-6
    n = result["iters_to_1e-6"]
    assert 1400 < n < 1500 and not result["diverges"]
    assert any(line.endswith(f"(max abs): {n}") for line in lines)


def test_iteration_count_is_the_first_one_within_tolerance():
    from gdkit.reference import gradient_descent

    X, y = linear_data()
    result, _ = run("linear", 0.3, 10)
    n, opt = result["iters_to_1e-6"], result["optimum"]
    assert np.max(np.abs(gradient_descent(X, y, 0.3, n) - opt)) <= 1e-6
    assert np.max(np.abs(gradient_descent(X, y, 0.3, n - 1) - opt)) > 1e-6


def test_every_prints_first_every_kth_and_last():
    _, lines = run("linear", None, 25, every=10)
    assert [line.split(")")[0] for line in lines if ") loss: " in line] == ["0", "10", "20", "24"]


def test_plot_is_written(tmp_path):
    path = tmp_path / "curve.png"
    result, lines = run("linear", None, 50, every=100, plot=str(path))
    assert path.exists() and path.stat().st_size > 1000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result["plot"] == str(path)


def test_logistic_defaults_converge(tmp_path):
    path = tmp_path / "logistic.png"
    result, lines = run("logistic", None, None, every=100, plot=str(path))
    assert result["lr"] == 1.0 and result["iters"] == 400
    assert result["max_abs_diff"] < 1e-6
    n = result["iters_to_1e-6"]
    assert isinstance(n, int) and 0 < n <= 400
    assert any(line.endswith(f"(max abs): {n}") for line in lines)
    assert np.all(np.diff(result["losses"]) <= 1e-15)  # lr < 1/L: monotone decrease
    assert result["losses"][-1] == pytest.approx(result["optimum_loss"], rel=1e-9)
    assert path.stat().st_size > 1000


def test_diverging_learning_rate_is_reported():
    result, lines = run("linear", 0.7, 30, every=10)  # 2/L ~ 0.655
    assert result["diverges"] and result["iters_to_1e-6"] is None
    assert any("diverges" in line for line in lines)


def test_not_reached_within_cap(monkeypatch):
    monkeypatch.setattr(experiment, "MAX_COUNT_ITERS", 20)
    result, lines = run("linear", 0.01, 5)
    assert result["iters_to_1e-6"] is None
    assert any("not within 20 iterations" in line for line in lines)


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        run("quadratic", None, None)
    with pytest.raises(ValueError, match="positive"):
        run("linear", -0.1, None)
    with pytest.raises(ValueError, match="every"):
        run("linear", None, 3, every=0)


def test_cli_entry(capsys, tmp_path):
    args = argparse.Namespace(kind="linear", lr=None, iters=3, every=1, plot=None)
    assert run_experiment_cli(args) == 0
    out = capsys.readouterr().out
    assert "0) loss: 3.9923695504740464\n1) loss: 2.8107099480787543\n2) loss: 2.0042900376700956\n" in out
    args = argparse.Namespace(kind="linear", lr=0.0, iters=3, every=1, plot=None)
    assert run_experiment_cli(args) == 2
    assert "error" in capsys.readouterr().err
    args = argparse.Namespace(kind="logistic", lr=None, iters=3, every=1, plot=str(tmp_path / "no" / "x.png"))
    assert run_experiment_cli(args) == 2  # missing folder: a clear error, not a traceback
