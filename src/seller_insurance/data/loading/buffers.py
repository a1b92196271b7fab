"""Growable column buffers for streamed reads: each parsed batch is copied once into its final place.

Collecting per-batch arrays and concatenating them at the end holds every column twice at the peak; here the
buffers are allocated once from an estimate of the row count (pages never written cost no memory, so the estimate
can be generous) and grown by half when it is exceeded. Categoricals keep their codes in a buffer and their
per-batch categories aside; at the end the categories are unified (first-appearance order, one hash pass over the
distinct values only) and each batch's codes are re-mapped in place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


class _Buffer:
    def __init__(self, dtype, capacity: int):
        self.data = np.empty(max(capacity, 16), dtype=dtype)
        self.n = 0

    def append(self, a: np.ndarray) -> None:
        need = self.n + len(a)
        if need > len(self.data):
            grown = np.empty(max(need, int(len(self.data) * 1.5)), dtype=self.data.dtype)
            grown[: self.n] = self.data[: self.n]
            self.data = grown
        self.data[self.n : need] = a
        self.n = need

    def view(self) -> np.ndarray:
        return self.data[: self.n]


class Accumulator:
    """Append dicts of per-batch parsed values; ``finish`` returns one dict of the same shape over all rows.

    Values are numpy arrays, Categoricals, nested dicts or None. A single batch is returned as it is (no copy).
    """

    def __init__(self, capacity_hint: int):
        self.capacity = int(capacity_hint)
        self.first: dict | None = None
        self.buffers: dict[tuple, _Buffer] = {}
        self.categories: dict[tuple, list] = {}
        self.batches = 0

    def add(self, parsed: dict) -> None:
        """Add one batch's parsed values (the first is only kept; buffers start with the second)."""
        self.batches += 1
        if self.batches == 1:
            self.first = parsed
            return
        if self.batches == 2:
            first, self.first = self.first, None
            self._add(first, ())
        self._add(parsed, ())

    def _add(self, d: dict, prefix: tuple) -> None:
        for k, v in d.items():
            key = (*prefix, k)
            if isinstance(v, dict):
                self._add(v, key)
            elif v is None:
                self.buffers.setdefault(key, None)
            elif isinstance(v, pd.Categorical):
                buf = self.buffers.get(key) or _Buffer(np.int32, self.capacity)
                self.buffers[key] = buf
                self.categories.setdefault(key, []).append((buf.n, len(v), v.categories))
                buf.append(np.asarray(v.codes, dtype=np.int32))
            else:
                buf = self.buffers.get(key) or _Buffer(v.dtype, self.capacity)
                self.buffers[key] = buf
                buf.append(v)

    def finish(self) -> dict | None:
        """All batches as one dict of the same shape (None when nothing was added; the batch itself when one)."""
        if self.batches <= 1:
            return self.first
        out: dict = {}
        for key, buf in self.buffers.items():
            if buf is None:
                value = None
            elif key in self.categories:
                value = _unify(buf.view(), self.categories[key])
            else:
                value = buf.view()
            target = out
            for k in key[:-1]:
                target = target.setdefault(k, {})
            target[key[-1]] = value
        return out


def _unify(codes: np.ndarray, segments: list[tuple[int, int, pd.Index]]) -> pd.Categorical:
    """One Categorical from per-batch codes (re-mapped in place) and categories (first-appearance order)."""
    arrays = [
        pa.array(np.asarray(c, dtype=object), pa.string()) if not len(c) else pa.array(c.array)
        for _, _, c in segments
    ]
    arrays = [a.cast(pa.string()) for a in arrays]
    every = pa.concat_arrays(arrays)
    uniq = pc.unique(every)  # keeps the first occurrence order
    # one hash table for all batches (index_in per batch would rebuild it every time: quadratic)
    mapping_all = np.asarray(
        pc.index_in(every, value_set=uniq).to_numpy(zero_copy_only=False), dtype=np.int32
    )
    at = 0
    for (start, n, _), cats in zip(segments, arrays, strict=True):
        mapping = mapping_all[at : at + len(cats)]
        at += len(cats)
        if not n or not len(cats):
            continue
        seg = codes[start : start + n]
        valid = seg >= 0
        seg[valid] = mapping[seg[valid]]
    cats = pd.Index(uniq.to_pandas(), dtype="str")  # unique by construction
    return pd.Categorical.from_codes(codes, dtype=fast_dtype(cats), validate=False)


def fast_dtype(cats: pd.Index) -> pd.CategoricalDtype:
    """CategoricalDtype of categories known to be unique (skips pandas' re-check over millions of ids)."""
    try:
        return pd.CategoricalDtype._from_fastpath(cats, False)
    except AttributeError:  # pragma: no cover - private pandas API gone
        return pd.CategoricalDtype(cats)
