"""Feature strings to weighted vectors: sublinear term frequency times idf, unit length per block.

Features carry their block in a prefix ("w:" words, "c:" character n-grams);
each block is scaled to unit length on its own, as two separate TF-IDF
vectorisers side by side would be, so long words cannot drown the word block.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np


def _block(feature: str) -> str:
    return feature[:2]


@dataclass(frozen=True)
class Row:
    """One message as weighted features: feature indices (sorted) and their weights."""

    indices: np.ndarray
    values: np.ndarray


class Vectoriser:
    def __init__(self, vocabulary: list[str], idf: np.ndarray):
        self.vocabulary = vocabulary
        self.index = {f: i for i, f in enumerate(vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float64)
        # The vocabulary is sorted, so each block ("c:" before "w:") is one run of indices.
        starts = [bisect.bisect_left(vocabulary, block) for block in sorted({_block(f) for f in vocabulary})]
        self._block_ids = np.searchsorted(np.array(starts), np.arange(len(vocabulary)), side="right") - 1

    @classmethod
    def fit(cls, documents: list[list[str]], min_df: int = 1) -> Vectoriser:
        df: Counter[str] = Counter()
        for doc in documents:
            df.update(set(doc))
        vocabulary = sorted(f for f, n in df.items() if n >= min_df)
        n = len(documents)
        idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in vocabulary])
        return cls(vocabulary, idf)

    def transform(self, doc: list[str]) -> Row:
        get = self.index.get
        found = np.fromiter((i for i in map(get, doc) if i is not None), dtype=np.int64)
        if found.size == 0:
            return Row(found, np.zeros(0))
        indices, counts = np.unique(found, return_counts=True)
        values = (1.0 + np.log(counts)) * self.idf[indices]
        blocks = self._block_ids[indices]
        norms = np.sqrt(np.bincount(blocks, weights=values * values))
        return Row(indices, values / norms[blocks])

    def matrix(self, docs: list[list[str]]):
        """Many documents as one SciPy CSR matrix (fitting only; SciPy is imported here)."""
        from scipy.sparse import csr_matrix

        rows = [self.transform(doc) for doc in docs]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(r.indices) for r in rows], out=indptr[1:])
        indices = np.concatenate([r.indices for r in rows]) if rows else np.zeros(0, np.int64)
        values = np.concatenate([r.values for r in rows]) if rows else np.zeros(0)
        return csr_matrix((values, indices, indptr), shape=(len(docs), len(self.vocabulary)))
