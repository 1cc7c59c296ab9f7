"""Student notebooks for the engine's tests: a correct solution, one wrong variant per function, attacks.

Each notebook is built from plain code cells, like a student's notebook after they filled it in.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HEADER = "import numpy as np\nimport otter\ngrader = otter.Notebook()"

SOLUTION = {
    "compute_gradients": '''
def compute_gradients(X, Y, W):
    m = len(Y)
    return (2 / m) * np.dot(X.T, np.dot(X, W) - Y)
''',
    "lin_reg_l2": '''
def lin_reg_l2(x, y, w):
    return np.sqrt(np.mean((np.dot(x, w) - y) ** 2))
''',
    "gradient_descent": '''
def gradient_descent(X, y, learn_rate, num_iters, theta=None):
    if theta is None:
        theta = np.zeros((X.shape[1], 1))
    for i in range(num_iters):
        theta = theta - learn_rate * compute_gradients(X, y, theta)
        loss = lin_reg_l2(X, y, theta)
        print(f"{i}) loss: {loss}")
    return theta
''',
    "sigmoid": '''
def sigmoid(z):
    return 1 / (1 + np.exp(-z))
''',
    "logistic_loss": '''
def logistic_loss(X, Y, W):
    z = X @ W
    return np.mean(np.logaddexp(0, z) - Y * z)
''',
    "compute_logistic_gradients": '''
def compute_logistic_gradients(X, Y, W):
    return X.T @ (sigmoid(X @ W) - Y) / len(Y)
''',
    "logistic_gradient_descent": '''
def logistic_gradient_descent(X, y, learn_rate, num_iters, theta=None):
    theta = np.zeros((X.shape[1], 1)) if theta is None else theta
    for _ in range(num_iters):
        theta = theta - learn_rate * compute_logistic_gradients(X, y, theta)
    return theta
''',
}

# One typical mistake per function (the seed's own defects among them).
WRONG = {
    "compute_gradients": '''
def compute_gradients(X, Y, W):
    m = len(Y)
    return (2 / (m + 1)) * X.T @ (X @ W - Y)
''',
    "lin_reg_l2": '''
def lin_reg_l2(x, y, w):
    return np.mean((x @ w - y) ** 2)
''',
    "gradient_descent": '''
def gradient_descent(X, y, learn_rate, num_iters, theta=None):
    if not theta:
        theta = np.zeros((X.shape[1], 1))
    for i in range(num_iters + 1):
        theta = theta - learn_rate * compute_gradients(X, y, theta)
    return theta
''',
    "sigmoid": '''
def sigmoid(z):
    return 1 / (1 + np.exp(z))
''',
    "logistic_loss": '''
def logistic_loss(X, Y, W):
    p = sigmoid(X @ W)
    return -np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p))
''',
    "compute_logistic_gradients": '''
def compute_logistic_gradients(X, Y, W):
    return X.T @ (sigmoid(X @ W) - Y)
''',
    "logistic_gradient_descent": '''
def logistic_gradient_descent(X, y, learn_rate, num_iters, theta=None):
    theta = np.zeros((X.shape[1], 1)) if theta is None else theta
    for _ in range(num_iters):
        theta -= learn_rate * compute_logistic_gradients(X, y, theta)
    return theta
''',
}


def write_notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    # Fixed cell ids: nbformat's are random, and the notebook's bytes seed the hidden inputs, so random ids
    # would give every run of the suite different inputs.
    nb.cells = [nbformat.v4.new_code_cell(source.strip("\n"), id=f"cell-{i}") for i, source in enumerate(cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


def solution_cells(**replace: str) -> list[str]:
    """The solution's cells, with some functions' cells replaced (by name)."""
    cells = [HEADER]
    for name, source in SOLUTION.items():
        cells.append(replace.get(name, source))
        cells.append(f'grader.check("{name}")')
    return cells


# The mistakes students really make, each with a phrase its own message must contain (tests/engine/
# test_feedback_mistakes.py grades each through the real grader). Name -> (function, source, phrase).
MISTAKES = {
    "hard-coded number of rows": ("compute_gradients", '''
def compute_gradients(X, Y, W):
    m = 100
    return (2 / m) * X.T @ (X @ W - Y)
''', "hard-coded"),
    "m from the number of columns": ("compute_gradients", '''
def compute_gradients(X, Y, W):
    m = X.shape[1]
    return (2 / m) * X.T @ (X @ W - Y)
''', "X.shape[1]"),
    "integer division": ("compute_gradients", '''
def compute_gradients(X, Y, W):
    m = len(Y)
    return (2 // m) * X.T @ (X @ W - Y)
''', "integer division"),
    "gradient computed once before the loop": ("gradient_descent", '''
def gradient_descent(X, y, learn_rate, num_iters, theta=None):
    if theta is None:
        theta = np.zeros((X.shape[1], 1))
    gradients = compute_gradients(X, y, theta)
    for i in range(num_iters):
        theta = theta - learn_rate * gradients
    return theta
''', "once, before the loop"),
    "sigmoid left out of the logistic gradient": ("compute_logistic_gradients", '''
def compute_logistic_gradients(X, Y, W):
    return X.T @ (X @ W - Y) / len(Y)
''', "sigmoid is missing"),
    "linear gradient in the logistic descent": ("logistic_gradient_descent", '''
def logistic_gradient_descent(X, y, learn_rate, num_iters, theta=None):
    theta = np.zeros((X.shape[1], 1)) if theta is None else theta
    for _ in range(num_iters):
        theta = theta - learn_rate * compute_gradients(X, y, theta)
    return theta
''', "compute_logistic_gradients"),
    "learning rate ignored in the logistic descent": ("logistic_gradient_descent", '''
def logistic_gradient_descent(X, y, learn_rate, num_iters, theta=None):
    theta = np.zeros((X.shape[1], 1)) if theta is None else theta
    for _ in range(num_iters):
        theta = theta - compute_logistic_gradients(X, y, theta)
    return theta
''', "learning rate was ignored"),
    "float32 sigmoid": ("sigmoid", '''
def sigmoid(z):
    z = np.asarray(z, dtype=np.float32)
    return 1 / (1 + np.exp(-z))
''', "float32"),
    "float32 work returned as float64": ("sigmoid", '''
def sigmoid(z):
    z32 = np.asarray(z, dtype=np.float32)
    return (1 / (1 + np.exp(-z32))).astype(np.float64)
''', "float32"),
    "float32 gradient returned as float64": ("compute_gradients", '''
def compute_gradients(X, Y, W):
    X, Y, W = (a.astype(np.float32) for a in (X, Y, W))
    return ((2 / len(Y)) * X.T @ (X @ W - Y)).astype(np.float64)
''', "float32"),
    "sigmoid with z clipped": ("sigmoid", '''
def sigmoid(z):
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))
''', "large |z|"),
}

# Correct sigmoids written differently: each gets full marks (the sigmoid decision of issue 9).
SIGMOIDS = {
    "tanh form": '''
def sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))
''',
    "scipy.special.expit": '''
from scipy.special import expit

def sigmoid(z):
    return expit(z)
''',
    "np.where stable form": '''
def sigmoid(z):
    ez = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + ez), ez / (1 + ez))
''',
    "textbook form": SOLUTION["sigmoid"],
}
