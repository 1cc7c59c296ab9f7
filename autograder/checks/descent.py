"""Checks of the two gradient-descent functions, graded with the correct gradient substituted.

Substituting the helpers means a wrong gradient is charged once, on its own question (a helper whose every
check passed stays the student's own: see Context.call). The trajectory after 1
and 5 iterations (from theta=None and from a given theta) catches off-by-one loops, ignored learning rates or
starting points, and closed-form answers; convergence at a safe step size catches early stopping.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from gdkit import reference as ref
from gdkit.autograder.checks.framework import (
    Call,
    Context,
    check,
    close,
    compare,
    diagnoses,
    expect_array,
    fail,
    judge_public,
    substitutes,
)

# Expected values that do not depend on the submission, for warm_up.
WARM_UP: list[Callable[[], object]] = []
CONVERGENCE_ATOL = 1e-6
MAX_ITERS = 20_000
PROBLEM_DRAWS = 10

# The known mistakes these checks name, worded in each descent's declaration (diagnoses:)
_IDS = ("unchanged", "one_too_few", "one_too_many", "theta_ignored", "gradient_once", "learning_rate_ignored",
        "other_kind", "optimum_returned", "update_rule", "stopped_early")
SAY = {fn: diagnoses(fn, *_IDS) for fn in ("gradient_descent", "logistic_gradient_descent")}

# The other kind's descent, for a theta that followed it (diagnosis "other_kind").
OTHER_DESCENT: dict[str, Callable] = {
    "logistic_gradient_descent": ref.gradient_descent,
    "gradient_descent": ref.logistic_gradient_descent,
}


def _iterations_to_converge(gd: Callable, X: np.ndarray, y: np.ndarray, lr: float, optimum: np.ndarray) -> int | None:
    """How many reference updates reach 1e-7 of the optimum (the student is then held to 1e-6); None if over
    MAX_ITERS (an ill-conditioned draw, about 1 in 2000 logistic problems)."""
    theta, n = np.zeros_like(optimum), 0
    while np.max(np.abs(theta - optimum)) > CONVERGENCE_ATOL / 10:
        if n >= MAX_ITERS:
            return None
        theta = gd(X, y, lr, 50, theta)
        n += 50
    return n


def descent_likely(fn: str, reference: Callable, optimum: Callable, found: np.ndarray, X: np.ndarray,
                   y: np.ndarray, lr: float, n: int, theta0: np.ndarray | None) -> str:
    """The likely mistake behind a wrong theta ``found`` of ``fn`` after ``n`` updates, or "".

    Total: a ``found`` of any shape or values gives a hint or "", never an exception; the optimum is looked
    up last and only where it exists (separable logistic data has none: the look-up raises).
    """
    found = np.asarray(found, dtype=np.float64)
    start = np.zeros((X.shape[1], 1)) if theta0 is None else theta0
    if found.shape != start.shape or not np.all(np.isfinite(found)):
        return ""
    return SAY[fn](_descent_mistake(fn, reference, optimum, found, X, y, lr, n, theta0, start))


def _descent_mistake(fn: str, reference: Callable, optimum: Callable, found: np.ndarray, X: np.ndarray,
                     y: np.ndarray, lr: float, n: int, theta0: np.ndarray | None, start: np.ndarray) -> str:
    """The id of the diagnosis of a wrong theta of the right shape ("update_rule" when none fits)."""
    with np.errstate(all="ignore"):
        if close(found, start):
            return "unchanged"
        for k, diagnosis in ((n - 1, "one_too_few"), (n + 1, "one_too_many")):
            if k >= 0 and close(found, reference(X, y, lr, k, start)):
                return diagnosis
        if theta0 is not None and close(found, reference(X, y, lr, n)):
            return "theta_ignored"
        first_step = reference(X, y, lr, 1, start) - start
        if n > 1 and close(found, start + n * first_step):
            return "gradient_once"
        if close(found, reference(X, y, 1.0, n, start)):
            return "learning_rate_ignored"
        if close(found, OTHER_DESCENT[fn](X, y, lr, n, start)):
            return "other_kind"
        try:
            best = optimum(X, y)
        except Exception:  # noqa: BLE001 - no optimum to compare with (separable data): no hint from it
            best = None
        if best is not None and close(found, best, rtol=1e-5, atol=1e-8):
            return "optimum_returned"
    return "update_rule"


def _convergence_likely(fn: str, trajectory_hint: str) -> str:
    if trajectory_hint and trajectory_hint != SAY[fn]("update_rule"):
        return trajectory_hint
    return SAY[fn]("stopped_early")


def register_descent_checks(
    fn: str,
    reference: Callable,
    make_problem: Callable,
    optimum: Callable,
    lipschitz: Callable,
    assignment_data: Callable,
    assignment_lr: float,
) -> None:
    substitute = substitutes(fn)  # from assignment/contract/<fn>.yaml

    def trajectory_likely(found: np.ndarray, X: np.ndarray, y: np.ndarray, lr: float, n: int,
                          theta0: np.ndarray | None) -> str:
        return descent_likely(fn, reference, optimum, found, X, y, lr, n, theta0)

    @check(fn, "one step from zeros on a small known case")
    def public(ctx: Context) -> None:
        judge_public(ctx, fn)  # assignment/contract/<fn>.yaml: public_case, judged as in the notebook

    @check(fn, "exactly num_iters updates, from zeros and from a given theta")
    def trajectory(ctx: Context) -> None:
        X, y = make_problem(ctx.rng, 9, 3)
        lr = 0.5 / lipschitz(X)
        theta0 = ctx.rng.normal(size=(3, 1))
        cases = [(1, None), (5, None), (1, theta0), (5, theta0)]
        calls = [Call(fn, (X, y, lr, n) if t is None else (X, y, lr, n, t)) for n, t in cases]
        for call, obs, (n, t) in zip(calls, ctx.call(calls, substitute), cases, strict=True):
            found = expect_array(obs, call, (3, 1), "theta")
            result = compare(found, reference(X, y, lr, n, t))
            if not result:
                start = "zeros" if t is None else "a given theta"
                fail(f"theta after exactly {n} update(s) from {start}", f"{call.describe()}: {result.describe()}",
                     trajectory_likely(found, X, y, lr, n, t))

    @check(fn, "converges to the optimum at a safe learning rate")
    def convergence(ctx: Context) -> None:
        for _ in range(PROBLEM_DRAWS):  # redraw the rare problem the reference itself cannot solve in time
            X, y = make_problem(ctx.rng, 41, 3)
            lr = 1.0 / lipschitz(X)
            best = optimum(X, y)
            n = _iterations_to_converge(reference, X, y, lr, best)
            if n is not None:
                break
        else:
            raise RuntimeError(f"no convergent problem in {PROBLEM_DRAWS} draws")  # a grader bug, logged
        call = Call(fn, (X, y, lr, n))
        [obs] = ctx.call([call], substitute)
        found = expect_array(obs, call, (3, 1), "theta")
        gap = float(np.max(np.abs(found - best)))
        if not gap <= CONVERGENCE_ATOL:
            fail(f"theta within {CONVERGENCE_ATOL:g} of the optimum after {n} updates at learning rate 1/L",
                 f"{call.describe()}: max absolute difference {gap:.2e}",
                 _convergence_likely(fn, trajectory_likely(found, X, y, lr, n, None)))

    @functools.cache  # the same for every submission: computed once per grader (see warm_up)
    def assignment_theta() -> np.ndarray:
        X, y = assignment_data()
        theta = reference(X, y, assignment_lr, 400)
        theta.setflags(write=False)
        return theta

    WARM_UP.append(assignment_theta)

    @check(fn, "the assignment's experiment")
    def assignment(ctx: Context) -> None:
        X, y = assignment_data()
        call = Call(fn, (X, y, assignment_lr, 400))
        [obs] = ctx.call([call], substitute)
        found = expect_array(obs, call, (X.shape[1], 1), "theta")
        result = compare(found, assignment_theta(), rtol=1e-9)
        if not result:
            fail(f"the reference's theta after 400 updates at learning rate {assignment_lr} (rtol 1e-9)",
                 f"{call.describe()}: {result.describe()}",
                 trajectory_likely(found, X, y, assignment_lr, 400, None))


register_descent_checks(
    "gradient_descent",
    ref.gradient_descent,
    ref.make_linear_problem,
    ref.linear_optimum,
    ref.linear_lipschitz,
    ref.linear_data,
    0.1,
)

register_descent_checks(
    "logistic_gradient_descent",
    ref.logistic_gradient_descent,
    lambda rng, m, d: ref.make_logistic_problem(rng, m, d, finite_optimum=True),
    ref.logistic_optimum,
    ref.logistic_lipschitz,
    ref.logistic_data,
    1.0,
)


def warm_up() -> None:
    """Compute the expected values every submission shares, ahead of the first check that needs them (a
    one-notebook grade does it while the student's cells run, when the grader only waits)."""
    for compute in WARM_UP:
        compute()
