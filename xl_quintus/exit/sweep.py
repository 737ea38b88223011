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




CLASS_CHUNK = 8192          # rows per pass of ``_class_cents_rows``: its buffers stay in cache (L2)


def _class_cents_rows(plan: dict, cents: np.ndarray):
    """A class payee's cents for rows ``cents`` (whole cents of proceeds) that all lie on one
    segment of one election's pieces, and the rows a float may have judged differently from
    exact arithmetic: :func:`_cents_np`'s rule, laid out part by row (a part's values in one
    contiguous row, so each sum over the parts is a few vector additions) in buffers reused
    from chunk to chunk.

    ``plan`` (``ExitModel._segment_plan``): the segment's start ``p``; for the parts that are
    not a whole number of cents at every whole-cent value ("live"), their float ``base`` and
    ``slope``, the position of each one's exact ``twin`` (or None) and its twin id; the parts
    that are whole as exact integers ``whole_sum`` = (a, b): together they pay a + b c cents,
    never a missing cent (remainder 0); the payee's whole parts ``mine_whole`` alike and its
    live parts ``mine_live``.
    """
    base, slope = plan["base"], plan["slope"]
    k = len(base)
    n_all = len(cents)
    got = np.empty(n_all, dtype=np.int64)
    doubt = np.empty(n_all, dtype=bool)
    a_w, b_w = plan["whole_sum"]
    a_m, b_m = plan["mine_whole"]
    twin, twin_id, mine = plan["twin"], plan["twin_id"], plan["mine_live"]
    size = min(CLASS_CHUNK, n_all)
    v_buf, f_buf = np.empty(k * size), np.empty(k * size)
    b1_buf, b2_buf = np.empty(k * size, dtype=bool), np.empty(k * size, dtype=bool)
    base_c, slope_c, abs_base, abs_slope = base[:, None], slope[:, None], np.abs(base), np.abs(slope)
    for lo in range(0, n_all, size):
        c = cents[lo:lo + size]
        n = len(c)
        # whole parts: exactly a + b c cents; the missing cents go among the live parts only
        fixed = a_w + b_w * c
        mine_fixed = a_m + b_m * c
        if not k:
            got[lo:lo + n] = mine_fixed
            doubt[lo:lo + n] = fixed != c
            continue
        x = c / 100.0
        dx = x - plan["p"]
        v = v_buf[:k * n].reshape(k, n)
        fl = f_buf[:k * n].reshape(k, n)
        b1 = b1_buf[:k * n].reshape(k, n)
        b2 = b2_buf[:k * n].reshape(k, n)
        np.multiply(slope_c, dx, out=v)                  # (base + slope dx) * 100: cents, float
        np.add(v, base_c, out=v)
        np.multiply(v, 100, out=v)
        # float error bound per part over these rows, as ``ExitModel._sweep_state``
        top = x.max()
        e = 1e-6 + 4e-16 * 100 * (abs_base + abs_slope * (top - plan["p"]) + top + plan["p"])
        np.floor(v, out=fl)
        missing = c - fixed - fl.sum(axis=0).astype(np.int64)
        rows_doubt = (missing < 0) | (missing > k)
        mine_got = mine_fixed + fl[mine].sum(axis=0).astype(np.int64) if mine else mine_fixed
        rem = np.subtract(v, fl, out=v)
        if twin is not None:                              # exact twins: the very same remainder
            rem = rem[twin]
        ec = e[:, None]
        np.less(rem, ec, out=b1)
        np.greater(rem, 1 - ec, out=b2)
        np.logical_or(b1, b2, out=b1)
        rows_doubt |= b1.any(axis=0)
        for jl in mine:
            rj = rem[jl]
            np.greater(rem, rj, out=b1)
            rank = np.add.reduce(b1, axis=0, dtype=np.int32)                     # parts served before j
            if jl:
                rank += np.add.reduce(np.equal(rem[:jl], rj, out=b2[:jl]), axis=0, dtype=np.int32)
            mine_got += rank < missing
            near = e + e[jl]
            near[[i for i in range(k) if twin_id[i] == twin_id[jl]]] = -1.0    # exact twins (and j): no doubt
            np.subtract(rem, rj, out=fl)
            np.abs(fl, out=fl)
            np.less(fl, near[:, None], out=b1)
            spread = np.add.reduce(b1, axis=0, dtype=np.int32)
            rows_doubt |= (rank - spread < missing) & (missing <= rank + spread)
        got[lo:lo + n] = mine_got
        doubt[lo:lo + n] = rows_doubt
    return got, doubt
