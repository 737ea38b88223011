"""What the engine accepts and answers fast: every size and magnitude limit in one place.

Each limit is refused in one line naming it, before any work (``xl_quintus.excel.arguments``
for what a cell holds, the engine for what a computation would reach). Why these values:

| limit | value | why |
|---|---|---|
| ``MAX_SHARES`` | below 10^15 | Excel holds 15 significant digits: a larger whole number cannot be typed exactly |
| ``MAX_MONEY`` | below $10^13 | 13 digits of dollars and 2 of cents are Excel's 15: above it a cent cannot be shown |
| ``MIN_PRICE``, ``MAX_PRICE`` | $0.000001 to $1,000,000 per share | Conversion Prices, offering and per-share prices; keeps as-converted counts and per-share amounts finite and exact to the cent |
| ``MAX_RATIO`` | 1,000,000 | a split or combination ratio (3(d)(iii)-(iv)), either way |
| ``MAX_EVENTS`` | 2,000 | rows of a 3(d) events range (the ledger is linear: about 1 s at 2,000) |
| ``MAX_MAP_GROUPS`` | 20 | conversion groups for the optimal 3(a) election over every exit value (QBREAKPOINTS, a column of QPAYOUT values): its work grows with about the cube of the groups (20: about 1.5 s, 30: 7 s, 40: 25 s) |
| ``MAX_REPLAY`` | 10,000 | events replayed by 3(d)(i)(E)(3)-(4) recomputations (each Amend or Expire replays every event since its Grant) |
"""

from __future__ import annotations

from fractions import Fraction

MAX_SHARES = 10 ** 15
MAX_MONEY = 10 ** 13
MIN_PRICE = Fraction(1, 10 ** 6)
MAX_PRICE = 10 ** 6
MAX_RATIO = 10 ** 6
MAX_EVENTS = 2_000
MAX_REPLAY = 10_000
MAX_MAP_GROUPS = 20
