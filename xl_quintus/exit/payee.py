"""The payee of QPAYOUT: a class, a group of classes ("A-D", "G"), or a holder."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..charter.cap_table import CapTable
from ..charter.liquidation import Distribution, class_cents
from ..charter.terms import COMMON
from ..errors import CharterError
from .sweep import _cents_np

if TYPE_CHECKING:
    from .model import ExitModel


class Who:
    """The payee of QPAYOUT: a class, a group of classes ("A-D", "G"), or a holder."""

    def __init__(self, cap_table: CapTable, label):
        charter = cap_table.charter
        self.label = str(label).strip()
        self.classes: tuple[str, ...] = ()
        self.holder: str | None = None
        key = self.label.upper()
        named = charter.classes_named(self.label)
        if named:
            self.classes = named
            return
        holders = {h.upper(): h for h in cap_table.holders if not charter.is_series(h) and h != COMMON} \
            if cap_table.has_holder_names else {}
        if key in holders:
            self.holder = holders[key]
            return
        known = ", ".join(list(charter.classes) + list(charter.group_labels()) + list(holders.values())[:5])
        raise CharterError(f'"{label}" is neither a class, a group of classes nor a holder in the cap table; try one of {known}', term="payee")

    def cents(self, model: ExitModel, dist: Distribution) -> int:
        return self.cents_of(model, dist.totals, dist.unallocated, dist.proceeds)

    def cents_of(self, model: ExitModel, totals: dict, unallocated, proceeds) -> int:
        """The payee's cents, from exact class totals (the same rounding as QWATERFALL)."""
        cents = class_cents(totals, unallocated, proceeds)
        if self.holder is not None:
            return sum(model.holder_cents_of(totals, cents).get(self.holder, {}).values())
        return sum(cents.get(c, 0) for c in self.classes)

    def sweep(self, model: ExitModel, v, cents, whole, err, twin):
        """Float cents of the payee for each row of class values ``v``, and doubtful rows."""
        classes = list(model.cap_table.classes_present)
        if self.holder is None:
            cols = [classes.index(c) for c in self.classes if c in classes]
            got, doubt = _cents_np(v, cents, whole, err, twin, cols)
            return got.sum(axis=1), doubt
        total = np.zeros(len(v), dtype=np.int64)
        doubt = np.zeros(len(v), dtype=bool)
        for ci, cls in enumerate(classes):
            holders = model.cap_table.holdings_by_class[cls]
            mine = [j for j, (h, _) in enumerate(holders) if h == self.holder]
            if not mine:
                continue
            class_cents, d1 = _cents_np(v, cents, whole, err, twin, [ci])
            n_cls = model.cap_table.shares(cls)
            parts = v[:, [ci]] * np.array([[n / n_cls for _, n in holders]])
            zero = np.full(parts.shape[1], bool(whole[ci]) and not class_cents.any())  # paid nothing: parts 0
            got, d2 = _cents_np(parts, class_cents[:, 0], zero, np.full(parts.shape[1], err[ci] * 2), None, mine)
            total += got.sum(axis=1)
            doubt |= d1 | d2
        return total, doubt

