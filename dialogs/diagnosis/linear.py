"""Multinomial logistic regression on sparse features, in numpy only.

scikit-learn would do this in one line but doubles start-up time and memory
(0.8 s and ~100 MB just to import), which the targets do not allow. This is
the textbook model: softmax over a weighted sum of features, fitted with
L-BFGS on the L2-regularised log loss, starting from zero weights, so the same
examples always give the same model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SparseRows:
    """Rows of (feature index, value) as CSR plus a CSC copy for fast gradients."""

    n_rows: int
    n_features: int
    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    @classmethod
    def build(cls, rows: list[dict[int, float]], n_features: int) -> "SparseRows":
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        idx: list[int] = []
        val: list[float] = []
        for r, row in enumerate(rows):
            for k in sorted(row):
                idx.append(k)
                val.append(row[k])
            indptr[r + 1] = len(idx)
        return cls(len(rows), n_features, indptr, np.asarray(idx, dtype=np.int64), np.asarray(val, dtype=np.float64))

    def row_ids(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_rows), np.diff(self.indptr))

    def dot(self, w: np.ndarray) -> np.ndarray:
        """X @ W for W of shape (n_features, n_classes)."""
        contrib = self.values[:, None] * w[self.indices]
        return _segment_sum(contrib, self.indptr, np.zeros((self.n_rows, w.shape[1])))


def _segment_sum(contrib: np.ndarray, indptr: np.ndarray, out: np.ndarray) -> np.ndarray:
    nonempty = np.diff(indptr) > 0
    starts = indptr[:-1][nonempty]
    if len(starts):
        out[nonempty] = np.add.reduceat(contrib, starts, axis=0)
    return out


class _Transpose:
    """X^T @ G computed by feature, from a column-sorted copy of X."""

    def __init__(self, x: SparseRows):
        rows = x.row_ids()
        order = np.argsort(x.indices, kind="stable")
        self.cols = x.indices[order]
        self.rows = rows[order]
        self.values = x.values[order]
        counts = np.bincount(self.cols, minlength=x.n_features)
        self.indptr = np.concatenate([[0], np.cumsum(counts)])
        self.n_features = x.n_features

    def dot(self, g: np.ndarray) -> np.ndarray:
        contrib = self.values[:, None] * g[self.rows]
        out = np.zeros((self.n_features, g.shape[1]))
        return _segment_sum(contrib, self.indptr, out)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit(x: SparseRows, y: np.ndarray, n_classes: int, l2: float = 1.0, sample_weight: np.ndarray | None = None, max_iter: int = 300) -> np.ndarray:
    """Weights of shape (n_features + 1, n_classes); the last row is the bias."""
    n, d = x.n_rows, x.n_features
    sw = np.ones(n) if sample_weight is None else sample_weight.astype(np.float64)
    sw = sw / sw.sum() * n
    onehot = np.zeros((n, n_classes))
    onehot[np.arange(n), y] = 1.0
    xt = _Transpose(x)

    def loss_grad(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(d + 1, n_classes)
        z = x.dot(w[:-1]) + w[-1]
        z -= z.max(axis=1, keepdims=True)
        logsum = np.log(np.exp(z).sum(axis=1))
        loss = float(-(sw * ((z * onehot).sum(axis=1) - logsum)).sum() / n)
        p = np.exp(z - logsum[:, None])
        g = (p - onehot) * sw[:, None] / n
        grad = np.empty_like(w)
        grad[:-1] = xt.dot(g)
        grad[-1] = g.sum(axis=0)
        reg = l2 / n
        loss += 0.5 * reg * float((w[:-1] ** 2).sum())
        grad[:-1] += reg * w[:-1]
        return loss, grad.ravel()

    flat = _lbfgs(loss_grad, np.zeros((d + 1) * n_classes), max_iter=max_iter)
    return flat.reshape(d + 1, n_classes)


def _lbfgs(f, x0: np.ndarray, max_iter: int, memory: int = 10, tol: float = 1e-6) -> np.ndarray:
    """Limited-memory BFGS with a backtracking (Armijo) line search."""
    x = x0
    fx, g = f(x)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    for _ in range(max_iter):
        q = g.copy()
        alphas = []
        for s, yv in reversed(list(zip(s_hist, y_hist))):
            rho = 1.0 / float(yv @ s)
            a = rho * float(s @ q)
            alphas.append((rho, a))
            q -= a * yv
        if s_hist:
            q *= float(s_hist[-1] @ y_hist[-1]) / float(y_hist[-1] @ y_hist[-1])
        for (s, yv), (rho, a) in zip(zip(s_hist, y_hist), reversed(alphas)):
            b = rho * float(yv @ q)
            q += (a - b) * s
        direction = -q
        slope = float(g @ direction)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            s_hist.clear()
            y_hist.clear()
            direction, slope = -g, -float(g @ g)
        step = 1.0 if s_hist else min(1.0, 1.0 / max(1e-12, float(np.abs(g).sum())))
        while True:
            x_new = x + step * direction
            f_new, g_new = f(x_new)
            if f_new <= fx + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s, yv = x_new - x, g_new - g
        if float(s @ yv) > 1e-10:
            s_hist.append(s)
            y_hist.append(yv)
            if len(s_hist) > memory:
                s_hist.pop(0)
                y_hist.pop(0)
        converged = abs(fx - f_new) <= tol * max(1.0, abs(fx))
        x, fx, g = x_new, f_new, g_new
        if converged or float(np.abs(g).max()) < 1e-6:
            break
    return x


def predict_proba(weights: np.ndarray, features: dict[int, float]) -> np.ndarray:
    """Class probabilities for one example: a handful of row lookups, well under a millisecond."""
    z = weights[-1].copy()
    for k, v in features.items():
        z += v * weights[k]
    z -= z.max()
    e = np.exp(z)
    return e / e.sum()
