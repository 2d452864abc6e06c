"""Feature strings to weighted vectors: sublinear term frequency times idf, unit length per block.

Features carry their block in a prefix ("w:" words, "c:" character n-grams);
each block is scaled to unit length on its own, as two separate TF-IDF
vectorisers side by side would be, so long words cannot drown the word block.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np


def _block(feature: str) -> str:
    return feature[:2]


class Vectoriser:
    def __init__(self, vocabulary: list[str], idf: np.ndarray):
        self.vocabulary = vocabulary
        self.index = {f: i for i, f in enumerate(vocabulary)}
        self.idf = idf
        self._idf = idf.tolist()  # plain floats: faster than numpy scalars one at a time
        self._block = [_block(f) for f in vocabulary]

    @classmethod
    def fit(cls, documents: list[list[str]], min_df: int = 1) -> "Vectoriser":
        df: Counter[str] = Counter()
        for doc in documents:
            df.update(set(doc))
        vocabulary = sorted(f for f, n in df.items() if n >= min_df)
        n = len(documents)
        idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in vocabulary])
        return cls(vocabulary, idf)

    def transform(self, doc: list[str]) -> dict[int, float]:
        get = self.index.get
        counts = Counter(i for i in map(get, doc) if i is not None)
        return self.weigh(counts)

    def weigh(self, counts: dict[int, int]) -> dict[int, float]:
        """Feature counts (by index) to the weighted, per-block unit-length row."""
        idf, block = self._idf, self._block
        row: dict[int, float] = {}
        norms: dict[str, float] = {}
        for i, c in counts.items():
            v = (1.0 + math.log(c)) * idf[i] if c > 1 else idf[i]
            row[i] = v
            b = block[i]
            norms[b] = norms.get(b, 0.0) + v * v
        scale = {b: 1.0 / math.sqrt(s) for b, s in norms.items() if s > 0}
        return {i: v * scale[block[i]] for i, v in row.items()}

    def matrix(self, docs: list[list[str]]):
        """Many documents as one SciPy CSR matrix (fitting only; SciPy is imported here)."""
        from scipy.sparse import csr_matrix

        indptr = [0]
        indices: list[int] = []
        values: list[float] = []
        for doc in docs:
            row = self.transform(doc)
            keys = sorted(row)
            indices.extend(keys)
            values.extend(row[k] for k in keys)
            indptr.append(len(indices))
        return csr_matrix(
            (np.asarray(values), np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
            shape=(len(docs), len(self.vocabulary)),
        )
