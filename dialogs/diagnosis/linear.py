"""Multinomial logistic regression on sparse features.

Fitting uses SciPy's sparse matrices and a plain L-BFGS (below), only when a
model is fitted; predicting is a handful of numpy row lookups, so a process
that loads a cached model never imports SciPy. scikit-learn would wrap the
same maths but doubles start-up time and memory (0.8 s and ~100 MB just to
import), which the targets do not allow.

The model is the textbook one: softmax over a weighted sum of features,
fitted on the L2-regularised log loss starting from zero weights, so the same
examples always give the same model.
"""

from __future__ import annotations

import numpy as np


def fit(
    x,
    y: np.ndarray,
    n_classes: int,
    l2: float = 1.0,
    sample_weight: np.ndarray | None = None,
    max_iter: int = 500,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Weights of shape (n_features + 1, n_classes); the last row is the bias.

    `x` is a SciPy sparse matrix, one row per example.
    `start` warm-starts from other weights (the folds of a cross-validation start
    from the full model and converge in a fraction of the steps); default zeros.
    """
    n, n_features = x.shape
    xt = x.T.tocsr()
    sw = np.ones(n) if sample_weight is None else sample_weight.astype(np.float64)
    sw = sw / sw.sum() * n
    onehot = np.zeros((n, n_classes))
    onehot[np.arange(n), y] = 1.0
    reg = l2 / n  # l2 = 1/C in scikit-learn's terms

    def loss_grad(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(n_features + 1, n_classes)
        z = x @ w[:-1] + w[-1]
        z -= z.max(axis=1, keepdims=True)
        logsum = np.log(np.exp(z).sum(axis=1))
        loss = float(-(sw * ((z * onehot).sum(axis=1) - logsum)).sum() / n) + 0.5 * reg * float((w[:-1] ** 2).sum())
        g = (np.exp(z - logsum[:, None]) - onehot) * sw[:, None] / n
        grad = np.empty_like(w)
        grad[:-1] = xt @ g + reg * w[:-1]
        grad[-1] = g.sum(axis=0)
        return loss, grad.ravel()

    x0 = np.zeros((n_features + 1) * n_classes) if start is None else start.ravel().astype(np.float64)
    return lbfgs(loss_grad, x0, max_iter=max_iter).reshape(n_features + 1, n_classes)


def lbfgs(
    loss_grad, x0: np.ndarray, max_iter: int = 500, history: int = 10, gtol: float = 1e-5, ftol: float = 2.2e-9
) -> np.ndarray:
    """Unconstrained L-BFGS (two-loop recursion, backtracking line search).

    SciPy's L-BFGS-B spends about 0.2 s a step on its bound handling at this
    size (a few hundred thousand weights), several times the cost of the loss
    itself; the log loss needs no bounds, so this plain version fits the same
    optimum several times faster. Its stopping rule is SciPy's default for L-BFGS-B.
    """
    x = x0.copy()
    f, g = loss_grad(x)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    rho_hist: list[float] = []
    for _ in range(max_iter):
        if np.abs(g).max() <= gtol:
            break
        q = g.copy()
        alphas = []
        for s_k, y_k, rho in zip(reversed(s_hist), reversed(y_hist), reversed(rho_hist), strict=False):
            a = rho * float(s_k @ q)
            alphas.append(a)
            q -= a * y_k
        if s_hist:
            q *= float(s_hist[-1] @ y_hist[-1]) / float(y_hist[-1] @ y_hist[-1])
        for (s_k, y_k, rho), a in zip(zip(s_hist, y_hist, rho_hist, strict=False), reversed(alphas), strict=False):
            b = rho * float(y_k @ q)
            q += (a - b) * s_k
        direction = -q
        slope = float(g @ direction)
        if slope >= 0:  # not a descent direction: start again from steepest descent
            s_hist, y_hist, rho_hist = [], [], []
            direction, slope = -g, -float(g @ g)
        step = 1.0 if s_hist else min(1.0, 1.0 / max(np.abs(g).sum(), 1e-12))
        while True:
            x_new = x + step * direction
            f_new, g_new = loss_grad(x_new)
            if f_new <= f + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s_k, y_k = x_new - x, g_new - g
        sy = float(s_k @ y_k)
        if sy > 1e-12:
            s_hist.append(s_k)
            y_hist.append(y_k)
            rho_hist.append(1.0 / sy)
            if len(s_hist) > history:
                s_hist.pop(0), y_hist.pop(0), rho_hist.pop(0)
        done = abs(f - f_new) <= ftol * max(abs(f), abs(f_new), 1.0)
        x, f, g = x_new, f_new, g_new
        if done:
            break
    return x


def logits(weights: np.ndarray, row) -> np.ndarray:
    """The weighted sum for one example (a `vectoriser.Row`): a handful of row lookups, well under a millisecond."""
    if len(row.indices) == 0:
        return weights[-1].copy()
    return weights[-1] + row.values @ weights[row.indices]


def predict_proba(weights: np.ndarray, row, temperature: float = 1.0) -> np.ndarray:
    z = logits(weights, row) / temperature
    z -= z.max()
    e = np.exp(z)
    return e / e.sum()
