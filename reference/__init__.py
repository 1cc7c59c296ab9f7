"""gdkit.reference: the ground-truth implementation of the gradient-descent homework.

Conventions: ``X`` (m, d) float64 with a ones column first, ``y``/``Y`` (m, 1), ``W``/``theta`` (d, 1).
Every function validates shapes (ValueError naming the expected shape), computes in float64 and never
modifies its inputs.
"""

from .data import linear_data, logistic_data, make_linear_problem, make_logistic_problem
from .experiment import run_experiment, run_experiment_cli
from .linear import compute_gradients, gradient_descent, lin_reg_l2, linear_descent_history, mse_loss
from .logistic import (
    compute_logistic_gradients,
    logistic_descent_history,
    logistic_gradient_descent,
    logistic_loss,
    sigmoid,
)
from .optimum import linear_lipschitz, linear_optimum, logistic_lipschitz, logistic_optimum
from .shapes import check_learn_rate, check_num_iters, check_X, check_XY, check_XYW

__all__ = [
    # linear
    "mse_loss",
    "compute_gradients",
    "lin_reg_l2",
    "gradient_descent",
    "linear_descent_history",
    # logistic
    "sigmoid",
    "logistic_loss",
    "compute_logistic_gradients",
    "logistic_gradient_descent",
    "logistic_descent_history",
    # optimum
    "linear_optimum",
    "logistic_optimum",
    "linear_lipschitz",
    "logistic_lipschitz",
    # data
    "linear_data",
    "logistic_data",
    "make_linear_problem",
    "make_logistic_problem",
    # shapes
    "check_X",
    "check_XY",
    "check_XYW",
    "check_num_iters",
    "check_learn_rate",
    # experiment
    "run_experiment",
    "run_experiment_cli",
]
