"""Excel's cell values, known in one place: blanks, error values and the 1900 date system.

Every Excel front end hands Python the same few kinds of value for a cell: a number (float),
text, a truth value, a date (or its serial number), a blank (``None`` or ``""``) and an error
value shown as text (``"#N/A"``). The argument readers (``arguments``), the Q-functions
(``functions``) and the workbook tools (``xl_quintus.workbook``) ask this module, so an error
code or the date epoch is written down once.

>>> is_blank("  "), is_error(" #n/a"), to_serial(EPOCH + dt.timedelta(days=46022))
(True, True, 46022)
"""

from __future__ import annotations

import datetime as dt

# Excel's error values (as xlwings passes them: text).
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                          "#GETTING_DATA", "#SPILL!", "#CALC!"})

# The 1900 date system: serial number n is EPOCH + n days for every date from 1 March 1900
# (Excel counts a 29 February 1900 that never was, so day 0 is 30 December 1899).
EPOCH = dt.date(1899, 12, 30)
LAST_SERIAL = 2958465                # 31 December 9999, the last date Excel shows


def is_blank(value) -> bool:
    """An empty cell: ``None`` or text of nothing but spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def is_error(value) -> bool:
    """An Excel error value (``#N/A``, ``#VALUE!`` ...) in any case, spaces around ignored."""
    return isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS


def is_number(value) -> bool:
    """A number cell (truth values are not numbers, though Python counts them as ints)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_serial(value) -> bool:
    """A number Excel would show as a date between 1 January 1900 and 31 December 9999."""
    return is_number(value) and 1 <= value < LAST_SERIAL + 1


def to_serial(day: dt.date) -> int:
    """A date as Excel stores it: its serial number in the 1900 date system."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return (day - EPOCH).days


def from_serial(serial) -> dt.date:
    """The date of a serial number (the whole days; the fraction is the time of day)."""
    return EPOCH + dt.timedelta(days=int(serial))
