"""Feature strings to weighted vectors: sublinear term frequency, idf, unit length."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np


class Vectoriser:
    def __init__(self, vocabulary: list[str], idf: np.ndarray):
        self.vocabulary = vocabulary
        self.index = {f: i for i, f in enumerate(vocabulary)}
        self.idf = idf

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
        counts = Counter(f for f in doc if f in self.index)
        row = {self.index[f]: (1.0 + math.log(c)) * self.idf[self.index[f]] for f, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in row.values())) or 1.0
        return {k: v / norm for k, v in row.items()}
