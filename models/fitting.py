"""The logistic regression every learned part of the project fits (the organization decision,
the type classifier, the relation component): L-BFGS run to convergence, tolerance 1e-8
(predictions within 2e-5 of tolerance 1e-10's). Stopped at scikit-learn's default tolerance the
weights depended on the installed scikit-learn and SciPy, so `qun train` wrote other files on
other machines."""

from __future__ import annotations

from typing import Any

TOL = 1e-8
MAX_ITER = 50_000


def logistic_regression(c: float, seed: int = 0) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, tol=TOL, max_iter=MAX_ITER, random_state=seed)
