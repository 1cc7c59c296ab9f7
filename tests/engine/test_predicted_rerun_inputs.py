"""Found by the second attacker role-play (stop 15): the cells can rebuild the notebook's bytes from the
runtime's stack, hence the seed of the hidden inputs, hence the inputs of a check that runs again in a later
pass; the first pass's public check of logistic_gradient_descent hands the student's code the grader's own
logistic_loss and compute_logistic_gradients, which it called on those inputs and kept the answers of. Checks
run again now draw their inputs from a secret of the grade."""

from __future__ import annotations

import json

from gdkit.autograder.grade import grade_notebook

from solutions import HEADER, SOLUTION

# The public cases' expected values: printed in the hand-out's grader.check.
PUBLIC = {"loss": 0.5, "grad": [0.0, 0.0]}

SEED_CELL = r'''
import sys, json, hashlib
def _find_cells():
    f = sys._getframe()
    while f is not None:
        c = f.f_locals.get("cells")
        if isinstance(c, list) and c and isinstance(c[0], (list, tuple)):
            return [s for _, s in c]
        f = f.f_back
    return None
def _nb_bytes(sources):
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
              "source": source} for i, source in enumerate(sources)]
    nb = {"cells": cells,
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return (json.dumps(nb, indent=1, sort_keys=True) + "\n").encode("utf-8")
_srcs = _find_cells()
SEED = None
if _srcs is not None:
    _digest = hashlib.sha256(_nb_bytes(_srcs)).hexdigest()
    SEED = int(hashlib.sha256(("gdkit:" + _digest).encode()).hexdigest()[:8], 16) % 2**32
'''

LOGISTIC_CELL = r'''
import os, zlib, hashlib, json
HARVEST = %(harvest)r
PUBLIC = %(public)r
def _key(*arrs):
    h = hashlib.sha1()
    for a in arrs:
        a = np.ascontiguousarray(a, dtype="<f8"); h.update(repr(a.shape).encode()); h.update(a.tobytes())
    return h.hexdigest()
def _store():
    try:
        with open("/tmp/.h.json") as f:
            return json.load(f)
    except OSError:
        return {}

def logistic_loss(X, Y, W):            # no idea of the formula
    if X.shape == (2, 2) and np.array_equal(X, [[1.0, 0.0], [1.0, 2.0]]):
        return PUBLIC["loss"]
    v = _store().get(_key(X, Y, W))
    return float(v) if v is not None else 0.5

def compute_logistic_gradients(X, Y, W):   # no idea of the formula
    if X.shape == (3, 2) and np.array_equal(X, [[1.0, 2.0], [1.0, -1.0], [1.0, 0.5]]):
        return np.array(PUBLIC["grad"]).reshape(2, 1)
    v = _store().get(_key(X, Y, W))
    return np.array(v).reshape(W.shape) if v is not None else np.zeros((X.shape[1], 1))

# -- copies of the grader's hidden-input generators (gdkit/reference/data.py) --
def _rsig(z):
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z)); out = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out[()]
def _mlp(rng, m, d):
    for _ in range(1000):
        X = np.hstack((np.ones((m, 1)), rng.normal(size=(m, d - 1))))
        w = rng.normal(size=(d, 1)); p = _rsig(X @ w)
        y = (rng.random((m, 1)) < p).astype(float)
        if 0 < y.sum() < m:
            return X, y
def _ldata(m=200, seed=0):
    rng = np.random.default_rng(seed); w_true = np.array([[-0.5], [2.0], [-1.0]])
    X = np.hstack((np.ones((m, 1)), rng.normal(size=(m, 2)))); p = 1 / (1 + np.exp(-(X @ w_true)))
    y = (rng.random((m, 1)) < p).astype(float); return X, y
SHAPES = ((7, 3), (11, 2), (5, 4), (13, 5))
def _rng(title, draw):
    return np.random.default_rng([SEED, zlib.crc32(title.encode())] + ([draw] if draw else []))
def _cases(title, draw, with_data):
    rng = _rng(title, draw); out = []
    for m, d in SHAPES:
        X, Y = _mlp(rng, m, d); out.append((X, Y, rng.normal(size=(d, 1))))
    if with_data:
        X, Y = _ldata(); out.append((X, Y, rng.normal(size=(X.shape[1], 1))))
    return out
def _large(draw):
    rng = _rng("logistic_loss: finite and accurate for confident predictions (|z| up to 1000)", draw); m = 9
    X = np.hstack((np.ones((m, 1)), rng.normal(size=(m, 1))))
    X[:, 1] = np.sign(X[:, 1]) * (rng.uniform(200, 1000, size=m))
    Y = (rng.random((m, 1)) < 0.5).astype(float); Y[0, 0], Y[1, 0] = 0.0, 1.0
    return [(X, Y, np.array([[0.0], [1.0]]))]

def _harvest(grad, loss):
    out = {}
    for draw in (1,):
        for c in _cases("logistic_loss: values on new data and on the assignment's data", draw, True) + _large(draw):
            out[_key(*c)] = float(loss(*c))
        for t, wd in (("compute_logistic_gradients: values on new data and on the assignment's data", True),
                      ("compute_logistic_gradients: agrees with finite differences of the loss", False)):
            for c in _cases(t, draw, wd):
                out[_key(*c)] = np.asarray(grad(*c)).ravel().tolist()
    with open("/tmp/.h.json.new", "w") as f:
        json.dump(out, f)
    os.rename("/tmp/.h.json.new", "/tmp/.h.json")

def logistic_gradient_descent(X, y, learn_rate, num_iters, theta=None):
    g = compute_logistic_gradients
    if HARVEST and SEED is not None and g.__code__.co_name == "helper" and not os.path.exists("/tmp/.h.json"):
        try:
            _harvest(g, logistic_loss)      # the grader's own helpers, in this probe
        except Exception:
            pass
    theta = np.zeros((X.shape[1], 1)) if theta is None else theta
    for _ in range(num_iters):
        theta = theta - learn_rate * g(X, y, theta)
    return theta
'''

SIG = '''
def sigmoid(z):
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))
'''


def _write(path, harvest: bool):
    sources = [HEADER, SOLUTION["compute_gradients"].strip("\n"), SOLUTION["lin_reg_l2"].strip("\n"),
               SOLUTION["gradient_descent"].strip("\n"), SIG.strip("\n"), SEED_CELL.strip("\n"),
               (LOGISTIC_CELL % {"harvest": harvest, "public": PUBLIC}).strip("\n")]
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
              "source": source} for i, source in enumerate(sources)]
    nb = {"cells": cells,
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_bytes((json.dumps(nb, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    return path


def test_inputs_of_checks_run_again_cannot_be_predicted_and_asked_of_the_graders_helpers(tmp_path, student_user):
    harvest = grade_notebook(_write(tmp_path / "harvest.ipynb", True), user=student_user)
    control = grade_notebook(_write(tmp_path / "control.ipynb", False), user=student_user)

    def passed(report) -> set[str]:
        return {o.check.title for o in report.outcomes
                if o.passed and o.check.function in ("logistic_loss", "compute_logistic_gradients")}

    assert passed(harvest) == passed(control), passed(harvest) - passed(control)
    assert harvest.score <= control.score, (harvest.score, control.score)
