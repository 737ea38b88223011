"""The float path of a sweep over many exit values, and its documented rounding.

The rounding is the exact engine's, vectorised in numpy; the exact functions stay the rule
and the reference:

- proceeds to whole cents, half-up: ``floor(x * 100 + 0.5)`` in floats, and every value within
  a hair of half a cent through ``proceeds_to_cents`` itself (``_proceeds_cents_np``);
- parts to cents by largest remainder: each part's floor, then the missing cents one each to
  the largest remainders, ties to the earlier part, as ``numbers.largest_remainder`` does
  (``_cents_np``);
- every row a float could judge differently from exact arithmetic (a part within its float
  error of a whole cent, remainders too close to order, a miscount of missing cents) is
  flagged as doubtful, and the caller redoes those rows exactly with ``numbers``
  (``ExitModel.sweep_cents``), so a sweep's cents equal the exact engine's, value for value.
"""

from __future__ import annotations

import math

import numpy as np

from .piecewise import proceeds_to_cents


def _cents_np(v: np.ndarray, totals: np.ndarray, whole: np.ndarray, err: np.ndarray,
              twin: np.ndarray | None, cols: list[int]):
    """Vectorised :func:`largest_remainder_cents` for the parts ``cols`` of each row, and
    the rows where a float may have judged differently from exact arithmetic.

    ``whole[j]``: part j is exactly a whole number of cents on every row (no float doubt).
    ``err[j]``: bound on part j's float error. ``twin[j]``: a part whose remainder is
    exactly part j's, so the two tie exactly and the earlier one gets the cent.
    A row is doubtful when any part is within its error of a whole cent (the count of
    missing cents could differ), or when the parts whose order against part j is in doubt
    could move j across the line of those that get a cent.
    """
    k = v.shape[1]
    whole = np.broadcast_to(whole, (k,))
    live = np.nonzero(~whole)[0]
    fl = np.floor(v)
    if len(live) < k:
        fl[:, whole] = np.round(v[:, whole])
    missing = totals - fl.sum(axis=1).astype(np.int64)
    doubt = (missing < 0) | (missing > k)
    out = fl[:, cols].astype(np.int64)
    if not len(live):
        return out, doubt
    # A part that is exactly whole has remainder 0 and, as the remainders add up to fewer
    # than the parts that have one, never gets a cent: only the others compete.
    rem = v[:, live] - fl[:, live]
    e = err[live]
    if twin is not None:
        t = np.asarray(twin)[live]
        pos = {j: i for i, j in enumerate(live)}
        rem = rem[:, [pos.get(x, i) for i, x in enumerate(t)]]
    doubt |= np.any((rem < e) | (rem > 1 - e), axis=1)
    for c, j in enumerate(cols):
        if whole[j]:
            continue
        jl = int(np.searchsorted(live, j))
        rj = rem[:, [jl]]
        rank = (rem > rj).sum(axis=1) + (rem[:, :jl] == rj).sum(axis=1)     # parts served before j
        out[:, c] += rank < missing
        near = e + e[jl]
        if twin is not None:
            near = np.where(t == t[jl], -1.0, near)          # exact twins: no doubt
        near[jl] = -1.0
        spread = (np.abs(rem - rj) < near).sum(axis=1)
        doubt |= (rank - spread < missing) & (missing <= rank + spread)
    return out, doubt


def _proceeds_cents_np(values, arr: np.ndarray) -> np.ndarray:
    """Proceeds to whole cents, half-up as :func:`proceeds_to_cents`, vectorised; values
    within a hair of half a cent go through Decimal so binary floats cannot flip them."""
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        proceeds_to_cents(next(v for v, a in zip(values, arr) if not (math.isfinite(a) and a >= 0)))  # raises
    scaled = arr * 100
    cents = np.floor(scaled + 0.5)
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6 + 1e-15 * scaled
    for i in np.nonzero(near_half)[0]:
        cents[i] = float(proceeds_to_cents(float(arr[i])) * 100)
    return cents.astype(np.int64)


