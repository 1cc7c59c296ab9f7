"""Correct versions of the helpers a function under test calls, sent to the student process only for that call.

Grading ``gradient_descent`` with the correct ``compute_gradients`` charges a wrong gradient once, on its own
question. The source goes with the probe that needs it and is executed in that probe's forked child, after the
student's cells have run: the student's process never holds a correct helper before that helper's own checks
are done (checks run in contract order, and every helper comes before the functions that call it), so no cell
can find one and call it as its own (a test greps the process's objects for exactly this).
"""

from __future__ import annotations

from collections.abc import Sequence

SOURCES = {
    "compute_gradients": '''
def compute_gradients(X, Y, W):
    return (2 / len(Y)) * (X.T @ (X @ W - Y))
''',
    "lin_reg_l2": '''
def lin_reg_l2(x, y, w):
    return float(np.sqrt(np.mean((x @ w - y) ** 2)))
''',
    "sigmoid": '''
def sigmoid(z):
    return np.exp(-np.logaddexp(0, -np.asarray(z, dtype=np.float64)))
''',
    "logistic_loss": '''
def logistic_loss(X, Y, W):
    z = X @ W
    return float(np.mean(np.logaddexp(0, z) - Y * z))
''',
    "compute_logistic_gradients": '''
def compute_logistic_gradients(X, Y, W):
    return (X.T @ (sigmoid(X @ W) - Y)) / len(Y)
''',
}

# What each substitute itself calls (from its own scope, never the student's).
DEPENDS = {"compute_logistic_gradients": ("sigmoid",)}


def sources_for(names: Sequence[str]) -> list[list[str]]:
    """[[name, source], ...] for ``names`` and what they call, dependencies first; only what was asked for."""
    ordered: list[str] = []

    def add(name: str) -> None:
        for dependency in DEPENDS.get(name, ()):
            add(dependency)
        if name not in ordered:
            ordered.append(name)

    for name in names:
        add(name)
    return [[name, SOURCES[name]] for name in ordered]
