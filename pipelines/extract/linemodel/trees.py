"""The line model's boosted trees, read from the data file shipped beside this module.

Trained with scikit-learn (``benchmarks/train_linemodel.py``), stored as flat arrays per tree
(feature, threshold, children, value), evaluated with a few numpy operations per page: no
scikit-learn at run time, deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.extract.linemodel.features import FEATURES

MODEL_PATH = Path(__file__).with_name("linemodel.json")


@dataclass(frozen=True)
class Model:
    """Boosted trees as flat arrays: per node its feature, threshold, children and value."""

    feature: np.ndarray  # (trees, nodes) int
    threshold: np.ndarray  # (trees, nodes) float; x <= threshold goes left
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray  # leaf values (raw scores)
    leaf: np.ndarray  # bool
    missing_left: np.ndarray  # bool: NaN goes left
    base: float
    depth: int
    drop_below: float
    add_above: float
    names: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        trees = data["trees"]
        width = max(len(t["feature"]) for t in trees)

        def pad(key: str, fill: Any, dtype: Any) -> np.ndarray:
            out = np.full((len(trees), width), fill, dtype=dtype)
            for i, tree in enumerate(trees):
                out[i, : len(tree[key])] = tree[key]
            return out

        return cls(
            feature=pad("feature", 0, np.int64),
            threshold=pad("threshold", 0.0, np.float64),
            left=pad("left", 0, np.int64),
            right=pad("right", 0, np.int64),
            value=pad("value", 0.0, np.float64),
            leaf=pad("leaf", True, bool),
            missing_left=pad("missing_left", True, bool),
            base=float(data["base"]),
            depth=int(data["depth"]),
            drop_below=float(data["drop_below"]),
            add_above=float(data["add_above"]),
            names=tuple(data["features"]),
        )

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The summed raw scores (log-odds) of the rows of ``x``."""
        n, trees = x.shape[0], self.feature.shape[0]
        if n == 0:
            return np.zeros(0)
        cols = np.arange(trees)[None, :]
        rows = np.arange(n)[:, None]
        node = np.zeros((n, trees), dtype=np.int64)
        for _ in range(self.depth):
            leaf = self.leaf[cols, node]
            values = x[rows, self.feature[cols, node]]
            below = values <= self.threshold[cols, node]
            go_left = np.where(np.isnan(values), self.missing_left[cols, node], below)
            step = np.where(go_left, self.left[cols, node], self.right[cols, node])
            node = np.where(leaf, node, step)
        return self.base + self.value[cols, node].sum(axis=1)

    def proba(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.raw(x)))


@cache
def load_model(path: Path = MODEL_PATH) -> Model | None:
    """The shipped model (None when the file is missing: the pick is then kept as it is)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    model = Model.from_dict(data)
    if model.names != FEATURES:
        raise ValueError(f"{path}: the model's features are not this module's")
    return model
