"""The worksheet functions and operators recalc evaluates, with Excel's rules for each.

Every function here is in the differential test against LibreOffice (tests/test_workbooks.py);
where LibreOffice departs from Excel by design, Excel is followed and the test says so. Each takes
the engine first (to read references) and the argument values: ``Ref`` for a reference, ``Arr``
for an array, ``None`` blank, ``MISSING`` an omitted argument, ``XlError`` an error value.

The rules that decide numbers:
- Arithmetic reads a blank as 0, TRUE as 1 and text that is a plain number ("12.5") as that
  number; other text is #VALUE!. The formula's last ``a - b`` (``+!``/``-!``) is 0 when a and b
  cancel to the last bits of a double; other + and - are plain doubles.
- SUM, AVERAGE, COUNT, MAX, MIN, MEDIAN skip text, TRUE/FALSE and blanks in ranges and arrays, but
  read them when given directly (``SUM("3", TRUE)`` is 4).
- The first error met (left to right, row by row) is the result.
- ROUND, ROUNDUP, ROUNDDOWN work on the number's 15 significant digits, half away from zero.
- Dates are serial numbers in the 1900 date system, with Excel's 29 February 1900 (serial 60).
- Criteria (">1000", "<>x", "=...", wildcards * ? ~) as Excel's *IF/*IFS read them; a criterion
  written as date or formatted-number text ("3/15/2026", "1,000") is refused, not guessed.
- Lookups (MATCH, VLOOKUP, HLOOKUP) ignore case; exact ones build one index per range, used by
  every lookup into it; approximate ones are refused (``Refusal``) over data that is not sorted,
  mixes kinds of value, has a blank between its values or holds the value found twice: Excel's
  binary search could answer otherwise than a scan.
- SUM, AVERAGE, SUMPRODUCT and the *IF(S) add left to right in doubles, as Excel does.
- Whatever recalc cannot be sure of is raised as ``Refusal``, never returned as an error value,
  so IFERROR, ISERROR, COUNTIF... cannot catch, test or count it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from bisect import bisect_left, bisect_right
from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, ROUND_UP, Context, Decimal

from .engine import (
    MISSING,
    Arr,
    FormulaError,
    Ref,
    Refusal,
    XlError,
    add,
    check_text_order,
    compare,
    is_number,
    number_text,
    order_in_doubt,
    sub,
    text_key,
    text_to_number,
    to_bool,
    to_number,
    to_text,
)


def _e(code, reason=None):
    return XlError(code, reason)


# -- shapes and lifting ---------------------------------------------------------------------------

def _deref(ev, x):
    return ev.value(x) if type(x) is Ref else x


def _at(x, i, j):
    if type(x) is not Arr:
        return x
    rows = x.rows
    n, m = len(rows), len(rows[0])
    ii = 0 if n == 1 else i
    jj = 0 if m == 1 else j
    if ii >= n or jj >= m:
        return _e("#N/A", "#N/A: arrays of different sizes in one calculation")
    return rows[ii][jj]


def broadcast(f, *args):
    """``f`` cell by cell over arrays (a 1-row or 1-column array is repeated, as Excel does)."""
    n = max(len(a.rows) if type(a) is Arr else 1 for a in args)
    m = max(len(a.rows[0]) if type(a) is Arr else 1 for a in args)
    return Arr([[f(*[_at(a, i, j) for a in args]) for j in range(m)] for i in range(n)])


def lifted(f):
    """A function of scalars applied cell by cell when an argument is a range or an array."""
    def run(ev, *args):
        vals = [ev.value(a) if type(a) is Ref else a for a in args]
        for v in vals:
            if type(v) is Arr:
                return broadcast(f, *vals)
        return f(*vals)
    run.__name__ = f.__name__
    run.lifted = True
    return run


def _num(v):
    """A scalar argument as a number, or its error."""
    return to_number(v)


def whole(x, floor: bool, what: str):
    """``x`` floored (or truncated toward zero) to a whole number. Excel first rounds to the 15
    significant digits it shows (INT(0.29*100) is 29 where 0.29*100 is 28.999999999999996, and
    INT(123456789-0.0000004) is 123456789: Microsoft's forums, not its documentation), so where
    the two readings give different whole numbers the cell is refused: recalc does not claim
    which one Excel gives. Far from a whole number they agree, so only near ones are checked."""
    n = math.floor(x) if floor else math.trunc(x)
    r = round(x)
    if r != x and abs(x - r) <= 1e-9 * max(1.0, abs(x)) and abs(x) < 2.0 ** 53:
        d = Decimal(f"{x:.15g}")
        m = int(d.to_integral_value(rounding=ROUND_FLOOR if floor else ROUND_DOWN))
        if m != n:
            raise Refusal(f"{what} of {x!r}: shown to 15 digits it is {d}, and whether Excel takes the whole "
                          f"number {n} or {m} is not documented; recalc does not claim which")
    return n


def _int_arg(v, what="a whole-number argument"):
    n = to_number(v)
    if type(n) is XlError:
        return n
    return whole(n, False, what)


# -- operators ------------------------------------------------------------------------------------

def _arith(f):
    def scalar(a, b):
        x = a if (type(a) is int or type(a) is float) else to_number(a)
        if type(x) is XlError:
            return x
        y = b if (type(b) is int or type(b) is float) else to_number(b)
        if type(y) is XlError:
            return y
        r = f(float(x), float(y))                 # doubles, as Excel computes (no exact big integers)
        if type(r) is float and not math.isfinite(r):
            return _e("#NUM!", "#NUM!: the result is beyond the range of numbers")
        return r

    def op(ev, a, b):
        if type(a) is Ref:
            a = ev.value(a)
        if type(b) is Ref:
            b = ev.value(b)
        if type(a) is Arr or type(b) is Arr:
            return broadcast(scalar, a, b)
        return scalar(a, b)
    return op


def _div(x, y):
    if y == 0:
        return _e("#DIV/0!")
    return x / y


def _pow(x, y):
    if x == 0 and y == 0:
        return _e("#NUM!", "#NUM!: 0 to the power 0")
    if x == 0 and y < 0:
        return _e("#DIV/0!")
    if x < 0 and not float(y).is_integer():
        return _e("#NUM!", "#NUM!: a negative number to a fractional power")
    try:
        return math.pow(x, y)
    except OverflowError:
        return _e("#NUM!", "#NUM!: the result is beyond the range of numbers")


def _plus(x, y):
    return x + y


def _minus(x, y):
    return x - y


def _mul(x, y):
    return x * y


def _concat_op(ev, a, b):
    def scalar(x, y):
        x, y = to_text(x), to_text(y)
        if type(x) is XlError:
            return x
        if type(y) is XlError:
            return y
        return x + y
    a, b = _deref(ev, a), _deref(ev, b)
    if type(a) is Arr or type(b) is Arr:
        return broadcast(scalar, a, b)
    return scalar(a, b)


def _collation(a, b):
    """Refuse to order two texts with letters beyond ASCII: Excel orders them by the locale's
    collation ("é" < "f", "Ä" < "B"), which recalc does not claim."""
    if type(a) is str and type(b) is str and not (a.isascii() and b.isascii()) and a.lower() != b.lower():
        raise Refusal(f'the order of "{a[:20]}" and "{b[:20]}": Excel orders letters beyond ASCII by its locale\'s '
                      "collation, which recalc does not claim")
    if type(a) is str and type(b) is str:
        check_text_order(a, b)


def _comparison(test, ordering=True):
    def scalar(a, b):
        c = compare(a, b)
        if type(c) is XlError:
            return c
        if ordering and c != 0:
            _collation(a, b)
        return test(c)

    def op(ev, a, b):
        a, b = _deref(ev, a), _deref(ev, b)
        if type(a) is Arr or type(b) is Arr:
            return broadcast(scalar, a, b)
        return scalar(a, b)
    return op


def _unary(f):
    def scalar(a):
        x = to_number(a)
        if type(x) is XlError:
            return x
        return f(x)

    def op(ev, a):
        a = _deref(ev, a)
        if type(a) is Arr:
            return broadcast(scalar, a)
        return scalar(a)
    return op


OPERATORS = {
    "+": _arith(_plus), "-": _arith(_minus), "+!": _arith(add), "-!": _arith(sub), "*": _arith(_mul), "/": _arith(_div), "^": _arith(_pow),
    "&": _concat_op,
    "=": _comparison(lambda c: c == 0, False), "<>": _comparison(lambda c: c != 0, False), "<": _comparison(lambda c: c < 0),
    ">": _comparison(lambda c: c > 0), "<=": _comparison(lambda c: c <= 0), ">=": _comparison(lambda c: c >= 0),
    "#neg": _unary(lambda x: -x), "#pos": lambda ev, a: _deref(ev, a), "#pct": _unary(lambda x: x / 100),
}


# -- aggregates -----------------------------------------------------------------------------------

def _cells(ev, a):
    """The values of a range or array argument, row by row."""
    rows = ev.grid(a) if type(a) is Ref else a.rows
    for row in rows:
        yield from row


def _numbers(ev, args):
    """The numbers SUM and its kin read, or the first error: ranges give only their numbers."""
    out = []
    for a in args:
        t = type(a)
        if t is Ref or t is Arr:
            for v in _cells(ev, a):
                tv = type(v)
                if tv is int or tv is float:
                    out.append(v)
                elif tv is XlError:
                    return v
        else:
            n = to_number(a)
            if type(n) is XlError:
                return n
            out.append(n)
    return out


def total(nums) -> float:
    """Numbers added left to right in doubles, as Excel's SUM does: SUM(1E+16,1,-1E+16) is 0 and
    SUM(0.1,0.2,-0.3) is 5.55E-17 (0.1+0.2 is 0.30000000000000004), never an exact sum; no
    step is snapped to 0 (that is only the formula's last + or -, ``engine.add``)."""
    t = 0.0
    for x in nums:
        t += x
    return t


def SUM(ev, *args):
    nums = _numbers(ev, args)
    if type(nums) is XlError:
        return nums
    return total(nums)


def AVERAGE(ev, *args):
    nums = _numbers(ev, args)
    if type(nums) is XlError:
        return nums
    if not nums:
        return _e("#DIV/0!", "#DIV/0!: AVERAGE of no numbers")
    return total(nums) / len(nums)


def MAX(ev, *args):
    nums = _numbers(ev, args)
    return nums if type(nums) is XlError else max(nums) if nums else 0


def MIN(ev, *args):
    nums = _numbers(ev, args)
    return nums if type(nums) is XlError else min(nums) if nums else 0


def MEDIAN(ev, *args):
    nums = _numbers(ev, args)
    if type(nums) is XlError:
        return nums
    if not nums:
        return _e("#NUM!", "#NUM!: MEDIAN of no numbers")
    nums.sort()
    k = len(nums)
    return nums[k // 2] if k % 2 else (nums[k // 2 - 1] + nums[k // 2]) / 2


def COUNT(ev, *args):
    n = 0
    for a in args:
        t = type(a)
        if t is Ref or t is Arr:
            n += sum(1 for v in _cells(ev, a) if type(v) is int or type(v) is float)
        elif a is MISSING:                      # COUNT(1,,2) is 3: an omitted argument is a 0
            n += 1
        elif t is bool or is_number(a) or (t is str and type(text_to_number(a)) is not XlError):
            n += 1
    return n


def COUNTA(ev, *args):
    n = 0
    for a in args:
        t = type(a)
        if t is Ref or t is Arr:
            n += sum(1 for v in _cells(ev, a) if v is not None)
        elif a is not None:
            n += 1
    return n


def COUNTBLANK(ev, a):
    if type(a) not in (Ref, Arr):
        return _e("#VALUE!", "#VALUE!: COUNTBLANK needs a range")
    return sum(1 for v in _cells(ev, a) if v is None or v == "")


def SUMPRODUCT(ev, *args):
    grids = []
    for a in args:
        a = _deref(ev, a) if type(a) is Ref else a
        if type(a) is XlError:
            return a
        grids.append(a.rows if type(a) is Arr else [[a]])
    shape = (len(grids[0]), len(grids[0][0]))
    if any((len(g), len(g[0])) != shape for g in grids):
        return _e("#VALUE!", "#VALUE!: SUMPRODUCT of arrays of different sizes")
    terms = []
    for i in range(shape[0]):
        for j in range(shape[1]):
            p = 1.0
            for g in grids:
                v = g[i][j]
                tv = type(v)
                if tv is XlError:
                    return v
                p = p * v if (tv is int or tv is float) else 0
            terms.append(p)
    return total(terms)


def _logicals(ev, args, name):
    out = []
    for a in args:
        t = type(a)
        if t is Ref or t is Arr:
            for v in _cells(ev, a):
                tv = type(v)
                if tv is bool or tv is int or tv is float:
                    out.append(bool(v))
                elif tv is XlError:
                    return v
        elif a is not MISSING:
            if t is str:                        # AND("TRUE"): refused, as LibreOffice does
                return _e("#VALUE!", f'#VALUE!: {name} of the text "{a[:40]}"')
            b = to_bool(a)
            if type(b) is XlError:
                return b
            out.append(b)
    if not out:
        return _e("#VALUE!", f"#VALUE!: {name} of no TRUE/FALSE values")
    return out


def AND(ev, *args):
    vals = _logicals(ev, args, "AND")
    return vals if type(vals) is XlError else all(vals)


def OR(ev, *args):
    vals = _logicals(ev, args, "OR")
    return vals if type(vals) is XlError else any(vals)


# -- conditions: IF, IFERROR, CHOOSE are lazy (only the branch taken is computed) -----------------

def _value_of(v):
    return 0 if v is MISSING else v


def IF(ev, refs, args):
    cond = _deref(ev, args[0](refs))
    if type(cond) is Arr:
        yes = _deref(ev, args[1](refs)) if len(args) > 1 else True
        no = _deref(ev, args[2](refs)) if len(args) > 2 else False

        def pick(c, y, n):
            b = to_bool(c)
            if type(b) is XlError:
                return b
            return _value_of(y) if b else _value_of(n)
        return broadcast(pick, cond, yes, no)
    b = to_bool(cond)
    if type(b) is XlError:
        return b
    if b:
        return _value_of(args[1](refs))
    return _value_of(args[2](refs)) if len(args) > 2 else False


def IFERROR(ev, refs, args):
    v = _deref(ev, args[0](refs))
    if type(v) is Arr:
        alt = _deref(ev, args[1](refs))
        return broadcast(lambda x, y: _value_of(y) if type(x) is XlError else x, v, alt)
    if type(v) is XlError:
        return _value_of(args[1](refs))
    return _value_of(v)


def CHOOSE(ev, refs, args):
    i = _deref(ev, args[0](refs))
    if type(i) is Arr:
        raise Refusal("CHOOSE with an array of indexes is not evaluated by recalc")
    i = _int_arg(i)
    if type(i) is XlError:
        return i
    if not 1 <= i < len(args):
        return _e("#VALUE!", f"#VALUE!: CHOOSE index {i} is not between 1 and {len(args) - 1}")
    return _value_of(args[i](refs))


def NA(ev):
    return _e("#N/A", "#N/A: NA()")


def TRUE(ev):
    """TRUE(): the logical value, as LibreOffice writes a typed TRUE into the files it saves."""
    return True


def FALSE(ev):
    return False


# -- scalar functions -----------------------------------------------------------------------------

@lifted
def ABS(x):
    x = _num(x)
    return x if type(x) is XlError else abs(x)


@lifted
def INT(x):
    x = _num(x)
    return x if type(x) is XlError else float(whole(x, True, "INT"))       # a double, as every Excel number


@lifted
def SIGN(x):
    x = _num(x)
    return x if type(x) is XlError else (x > 0) - (x < 0)


@lifted
def SQRT(x):
    x = _num(x)
    if type(x) is XlError:
        return x
    return _e("#NUM!", "#NUM!: SQRT of a negative number") if x < 0 else math.sqrt(x)


@lifted
def EXP(x):
    x = _num(x)
    if type(x) is XlError:
        return x
    try:
        return math.exp(x)
    except OverflowError:
        return _e("#NUM!", "#NUM!: EXP beyond the range of numbers")


@lifted
def LN(x):
    x = _num(x)
    if type(x) is XlError:
        return x
    return _e("#NUM!", "#NUM!: LN of a number that is not positive") if x <= 0 else math.log(x)


@lifted
def POWER(x, y):
    x, y = _num(x), _num(y)
    if type(x) is XlError:
        return x
    if type(y) is XlError:
        return y
    r = _pow(x, y)
    return r


@lifted
def MOD(x, y):
    x, y = _num(x), _num(y)
    if type(x) is XlError:
        return x
    if type(y) is XlError:
        return y
    if y == 0:
        return _e("#DIV/0!", "#DIV/0!: MOD by 0")
    if abs(x) >= abs(y) * 2.0 ** 27:
        # Excel 97-2003 give #NUM! once the quotient reaches 2^27 (Microsoft KB 119083), later
        # versions a number, and beyond 2^53 the double quotient loses the remainder (MOD(1E+20,7)
        # is 2, not 0): recalc does not claim which
        raise Refusal(f"MOD({x!r}, {y!r}): a quotient of 2^27 or more, where Excel versions and double "
                      "precision disagree; recalc does not claim Excel's value")
    # "MOD(n, d) = n - d*INT(n/d)" (Microsoft's MOD page): INT of a quotient near a whole number
    # is refused as INT's is (MOD(0.3,0.1): 0.3/0.1 is 2.9999999999999996)
    r = x - y * whole(x / y, True, f"MOD({x!r}, {y!r}): INT of the quotient")   # the sign of the divisor
    return 0.0 if r != 0 and abs(r) < abs(y) * 2.0 ** -48 else r


_CONTEXT = Context(prec=40)


def _round(x, digits, mode):
    x, digits = _num(x), _int_arg(digits)
    if type(x) is XlError:
        return x
    if type(digits) is XlError:
        return digits
    if x == 0 or not math.isfinite(x):
        return x
    digits = min(digits, 15)
    d = Decimal(f"{x:.15g}")                     # the number's 15 significant digits, as shown
    if d.as_tuple().exponent >= -digits:         # no digit below the one kept: ROUND(1E+38,2) is 1E+38
        return float(d)
    q = d.quantize(Decimal(1).scaleb(-digits), rounding=mode, context=_CONTEXT)
    return float(q)


@lifted
def ROUND(x, digits=0):
    return _round(x, digits, ROUND_HALF_UP)      # half away from zero: ROUND(-2.5,0) is -3


@lifted
def ROUNDUP(x, digits=0):
    return _round(x, digits, ROUND_UP)           # away from zero


@lifted
def ROUNDDOWN(x, digits=0):
    return _round(x, digits, ROUND_DOWN)         # toward zero


def _text(v):
    return to_text(v)


def _count_arg(v, name):
    """A number of characters: a fraction is cut toward 0, but one between -1 and 0 is refused:
    LibreOffice rejects it (#VALUE!) before cutting, and Excel's order is not documented."""
    n = to_number(v)
    if type(n) is not XlError and -1 < n < 0:
        raise Refusal(f"{name} of {n!r} characters: whether Excel cuts it to 0 or rejects it as negative is not "
                      "documented; recalc does not claim which")
    return _int_arg(n)


@lifted
def LEFT(s, n=1):
    s, n = _text(s), _count_arg(n, "LEFT")
    if type(s) is XlError:
        return s
    if type(n) is XlError:
        return n
    return _e("#VALUE!", "#VALUE!: LEFT of a negative number of characters") if n < 0 else s[:n]


@lifted
def RIGHT(s, n=1):
    s, n = _text(s), _count_arg(n, "RIGHT")
    if type(s) is XlError:
        return s
    if type(n) is XlError:
        return n
    if n < 0:
        return _e("#VALUE!", "#VALUE!: RIGHT of a negative number of characters")
    return s[len(s) - n:] if n < len(s) else s


@lifted
def MID(s, start, n):
    s, start, n = _text(s), _int_arg(start), _count_arg(n, "MID")
    for v in (s, start, n):
        if type(v) is XlError:
            return v
    if start < 1 or n < 0:
        return _e("#VALUE!", "#VALUE!: MID from a position before 1 or of a negative length")
    return s[start - 1:start - 1 + n]


@lifted
def LEN(s):
    s = _text(s)
    return s if type(s) is XlError else len(s)


def _case(s, upper: bool, name: str):
    """Letters beyond ASCII whose case Python maps to other lengths or by context ("ß" to "SS",
    "İ" to "i̇", a final "Σ" to "ς") are refused: Excel maps letter by letter by the system's
    tables, which recalc does not claim (UPPER("straße") would be 7 letters, not 6)."""
    s = _text(s)
    if type(s) is XlError:
        return s
    out = s.upper() if upper else s.lower()
    if not s.isascii() and (len(out) != len(s) or out != "".join(c.upper() if upper else c.lower() for c in s)):
        raise Refusal(f'{name} of "{s[:40]}": a letter whose case is not one letter for one, which recalc does not '
                      "claim as Excel maps it")
    return out


@lifted
def LOWER(s):
    return _case(s, False, "LOWER")


@lifted
def UPPER(s):
    return _case(s, True, "UPPER")


@lifted
def TRIM(s):
    s = _text(s)
    return s if type(s) is XlError else re.sub(" +", " ", s.strip(" "))


@lifted
def CONCATENATE(*parts):
    out = []
    for p in parts:
        t = _text(p)
        if type(t) is XlError:
            return t
        out.append(t)
    return "".join(out)


@lifted
def NOT(x):
    b = to_bool(x)
    return b if type(b) is XlError else not b


@lifted
def ISNUMBER(x):
    return is_number(x)


@lifted
def ISTEXT(x):
    return type(x) is str


@lifted
def ISBLANK(x):
    return x is None


@lifted
def ISERROR(x):
    return type(x) is XlError


# -- dates: serial numbers of the 1900 date system ------------------------------------------------

EPOCH = dt.date(1899, 12, 30)          # serial 0 for dates from 1 March 1900


def date_serial(year: int, month: int, day: int):
    """DATE's arithmetic: months and days beyond their range carry over; Excel's 1900 calendar
    has a 29 February (serial 60), so serials before 1 March 1900 are one less than the days."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    if not 1900 <= year <= 9999:
        return _e("#NUM!", f"#NUM!: the year {year} is outside 1900-9999")
    first = dt.date(year, month, 1)
    if first < dt.date(1900, 3, 1):
        serial = (first - dt.date(1899, 12, 31)).days + day - 1
    else:
        serial = (first - EPOCH).days + day - 1
    if serial < 0 or serial > 2_958_465:
        return _e("#NUM!", "#NUM!: a date before 1900 or after 9999")
    return serial


def serial_date(serial):
    """(year, month, day) of a serial number; 60 is Excel's 29 February 1900."""
    n = _num(serial)
    if type(n) is XlError:
        return n
    n = whole(n, True, "the day of a date serial")
    if n < 0 or n > 2_958_465:
        return _e("#NUM!", f"#NUM!: {serial} is not a date serial number")
    if n == 60:
        return 1900, 2, 29
    if n == 0:
        return 1900, 1, 0
    d = dt.date(1899, 12, 31) + dt.timedelta(days=n) if n < 60 else EPOCH + dt.timedelta(days=n)
    return d.year, d.month, d.day


@lifted
def DATE(y, m, d):
    y, m, d = _int_arg(y), _int_arg(m), _int_arg(d)
    for v in (y, m, d):
        if type(v) is XlError:
            return v
    if 0 <= y < 1900:
        y += 1900
    return date_serial(y, m, d)


@lifted
def YEAR(s):
    ymd = serial_date(s)
    return ymd if type(ymd) is XlError else ymd[0]


@lifted
def MONTH(s):
    ymd = serial_date(s)
    return ymd if type(ymd) is XlError else ymd[1]


@lifted
def DAY(s):
    ymd = serial_date(s)
    return ymd if type(ymd) is XlError else ymd[2]


def _months_later(s, months):
    ymd, k = serial_date(s), _int_arg(months)
    if type(ymd) is XlError:
        return ymd
    if type(k) is XlError:
        return k
    y, m, _ = ymd
    total = y * 12 + (m - 1) + k
    return total // 12, total % 12 + 1, ymd[2]


def _month_days(y, m):
    if y == 1900 and m == 2:
        return 29
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


def _months_later_date(s, months, name: str, end_of_month: bool):
    """EDATE (the same day, cut to the month's length) or EOMONTH (the month's last day)."""
    got = _months_later(s, months)
    if type(got) is XlError:
        return got
    y, m, d = got
    if not 1900 <= y <= 9999:
        return _e("#NUM!", f"#NUM!: {name} beyond the years 1900-9999")
    last = _month_days(y, m)
    return date_serial(y, m, last if end_of_month else min(d, last))


@lifted
def EDATE(s, months):
    return _months_later_date(s, months, "EDATE", end_of_month=False)


@lifted
def EOMONTH(s, months):
    return _months_later_date(s, months, "EOMONTH", end_of_month=True)


# -- criteria: SUMIF, SUMIFS, COUNTIF, COUNTIFS, AVERAGEIF, AVERAGEIFS -----------------------------

_CRITERION = re.compile(r"(<=|>=|<>|<|>|=)?(.*)", re.DOTALL)
_DATE_TEXT = re.compile(r"\s*\d{1,4}[-/.]\d{1,2}([-/.]\d{1,4})?\s*|.*\d:\d.*")


def wildcard(pattern: str):
    """Excel's wildcards: * any text, ? one character, ~ before either (or ~) the character itself."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "~" and i + 1 < len(pattern) and pattern[i + 1] in "*?~":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _has_wildcard(s: str) -> bool:
    return "*" in s or "?" in s or "~" in s


def criterion(c):
    """A predicate on a cell's value for an *IF(S) criterion, or the reason it is refused."""
    if type(c) is XlError:
        return c
    if c is None or c is MISSING:
        c = 0                               # an empty criterion cell is 0 (Excel's COUNTIFS)
    if type(c) is bool:
        return _boolean_test("=", c)
    if is_number(c):
        return _number_test("=", c)
    c = str(c)
    op, rest = _CRITERION.fullmatch(c).groups()
    op = op or "="
    if rest == "":
        if op == "=":
            return (lambda v: v is None or v == "") if c == "" else (lambda v: v is None)
        if op == "<>":
            return lambda v: v is not None             # a formula's "" is not blank
        return lambda v: False
    try:
        n = text_to_number(rest)
    except Refusal:
        n = None
    if n is not None and type(n) is not XlError:
        return _number_test(op, n)
    if n is None or _DATE_TEXT.fullmatch(rest):
        raise Refusal(f'the criterion "{c}" holds a date, time or formatted number written as text, which recalc '
                      "does not read: use DATE() or a plain number")
    up = rest.upper()
    if up in ("TRUE", "FALSE"):
        b = up == "TRUE"
        if op in ("=", "<>"):
            return _boolean_test(op, b)
        return _order_test(op, b, bool)
    if up in ("#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"):
        if op == "=":
            return lambda v: type(v) is XlError and v.code == up
        if op == "<>":
            return lambda v: not (type(v) is XlError and v.code == up)
        return lambda v: False
    if op in ("=", "<>"):
        if _has_wildcard(rest):
            rx = wildcard(rest)
            test = lambda v: type(v) is str and rx.fullmatch(v) is not None
        else:
            low = rest.lower()
            test = lambda v: type(v) is str and v.lower() == low
            if op == "=":
                test.text_equal = low            # _matches finds these in one index per range
        return test if op == "=" else (lambda v: not test(v))
    return _order_test(op, text_key(rest), str, rest)


def _boolean_test(op, b):
    """TRUE or FALSE as a criterion matches that logical value. A cell holding the text "TRUE" or
    "FALSE" is refused: whether Excel's criterion matches the text too is not documented (LibreOffice
    has no logical values to tell them apart), so recalc does not claim either count."""
    def equal(v):
        if type(v) is str and v.strip().upper() in ("TRUE", "FALSE"):
            raise Refusal(f'the text "{v[:40]}" in a criteria range, against the criterion {op}{b!s}: whether Excel '
                          "counts text as the logical value is not documented; recalc does not claim either")
        return type(v) is bool and v == b
    return equal if op == "=" else (lambda v: not equal(v))


def same_number_as_text(text, n) -> str:
    return (f'the text "{text[:40]}" in a criteria range reads as the criterion\'s number {number_text(n)}: '
            "whether it counts as equal differs between spreadsheet programs; recalc does not claim either")


def _number_test(op, n):
    from .engine import approx_equal

    def num(v):
        tv = type(v)
        if tv is int or tv is float:
            return v
        if tv is str and op in ("=", "<>"):
            x = text_to_number(v)
            if type(x) is not XlError and approx_equal(x, n):
                raise Refusal(same_number_as_text(v, n))
        return None

    if op == "=":
        test = lambda v: (x := num(v)) is not None and approx_equal(x, n)   # noqa: E731
        test.number_equal = n                    # _matches finds these in one sorted index per range
        return test
    if op == "<>":
        return lambda v: not ((x := num(v)) is not None and approx_equal(x, n))
    tests = {"<": lambda x: x < n and not approx_equal(x, n), ">": lambda x: x > n and not approx_equal(x, n),
             "<=": lambda x: x <= n or approx_equal(x, n), ">=": lambda x: x >= n or approx_equal(x, n)}
    t = tests[op]
    return lambda v: (x := num(v)) is not None and t(x)


def _order_test(op, value, kind, text=None):
    if text is not None and not text.isascii():
        raise Refusal(f'the criterion "{op}{text[:40]}": Excel orders letters beyond ASCII by its locale\'s collation, '
                      "which recalc does not claim")

    def key(v):
        if kind is str:
            if type(v) is not str:
                return None
            if not v.isascii():
                _collation(v, text)
            k = text_key(v)
            if k != value and order_in_doubt(k, value) is not None:
                check_text_order(v, text)
            return k
        return v if type(v) is kind else None
    tests = {"<": lambda x: x < value, ">": lambda x: x > value, "<=": lambda x: x <= value, ">=": lambda x: x >= value}
    t = tests[op]
    return lambda v: (x := key(v)) is not None and t(x)


def _criteria_key(c):
    return (type(c).__name__, c if type(c) is not XlError else c.code)


def _matches(ev, rng, crit):
    """The positions (row-major) of ``rng`` meeting ``crit``; kept per range and criterion."""
    if type(rng) not in (Ref, Arr):
        return _e("#VALUE!", "#VALUE!: a criteria range must be a range")
    crit = _deref(ev, crit)
    if type(crit) is Arr:
        raise Refusal("an array of criteria is not evaluated by recalc")
    key = None
    if type(rng) is Ref:
        key = ("crit", rng.key, _criteria_key(crit))
        got = ev.lookups.get(key)
        if got is not None:
            return got
    test = criterion(crit)
    if type(test) is XlError:
        return test
    low = getattr(test, "text_equal", None)
    if low is not None and key is not None:     # = text: every distinct text of the range indexed once
        groups = ev.lookups.get(("text", rng.key))
        if groups is None:
            groups = {}
            for i, v in enumerate(_cells(ev, rng)):
                if type(v) is str:
                    groups.setdefault(v.lower(), []).append(i)
            ev.lookups[("text", rng.key)] = groups
        return groups.get(low, [])
    n = getattr(test, "number_equal", None)
    if n is not None and key is not None:
        got = _numbers_equal(ev, rng, n)
    else:
        got = [i for i, v in enumerate(_cells(ev, rng)) if test(v)]
    if key is not None:
        ev.lookups[key] = got
    return got


def _numbers_equal(ev, rng, n):
    """The positions of ``rng`` equal to the number ``n`` as "=n" matches (numbers, and text that
    is a plain number, equal to the last bits of a double), from one sorted index of the range:
    a column of SUMIFS by a numeric id reads the range once, not once per row."""
    from .engine import approx_equal

    index = ev.lookups.get(("numbers", rng.key))
    if index is None:
        pairs, texts, refusal = [], [], None
        for i, v in enumerate(_cells(ev, rng)):
            tv = type(v)
            if tv is int or tv is float:
                pairs.append((float(v), i))
            elif tv is str:
                try:
                    x = text_to_number(v)
                except Refusal as e:             # the plain scan would meet it too: refused alike
                    refusal = refusal or e
                    continue
                if type(x) is not XlError:
                    texts.append((x, v))
        pairs.sort()
        texts.sort()
        index = ev.lookups[("numbers", rng.key)] = ([x for x, _ in pairs], [i for _, i in pairs], texts, refusal)
    values, positions, texts, refusal = index
    if refusal is not None:
        raise refusal
    d = abs(n) * 2.0 ** -46
    k = bisect_left(texts, (n - d,))
    while k < len(texts) and texts[k][0] <= n + d:
        if approx_equal(texts[k][0], n):
            raise Refusal(same_number_as_text(texts[k][1], n))
        k += 1
    lo, hi = bisect_left(values, n - d), bisect_right(values, n + d)
    return sorted(positions[k] for k in range(lo, hi) if approx_equal(values[k], n))


def _shape(ev, rng):
    return rng.shape if type(rng) in (Ref, Arr) else (1, 1)


def _values_at(ev, rng, positions, width):
    """The values of ``rng`` at row-major positions of a range ``width`` wide."""
    if type(rng) is Ref:
        cell = ev.cell
        return [cell(rng.sheet, rng.r0 + p // width, rng.c0 + p % width) for p in positions]
    if type(rng) is Arr:
        return [rng.rows[p // width][p % width] if p // width < len(rng.rows) and p % width < len(rng.rows[0])
                else None for p in positions]
    return [rng if p == 0 else None for p in positions]


def _conditional(ev, target, pairs, name):
    """The values of ``target`` where every (range, criterion) pair holds."""
    shape = None
    hit = None
    for rng, crit in pairs:
        s = _shape(ev, rng)
        if shape is None:
            shape = s
        elif s != shape:
            return _e("#VALUE!", f"#VALUE!: {name}'s ranges are of different sizes")
        got = _matches(ev, rng, crit)
        if type(got) is XlError:
            return got
        if hit is None:
            hit = got
        else:
            keep = set(got)
            hit = [p for p in hit if p in keep]
    if target is None:
        return hit
    if type(target) is Ref and name.endswith("S") and target.shape != shape:
        return _e("#VALUE!", f"#VALUE!: {name}'s ranges are of different sizes")
    return _values_at(ev, target, hit, shape[1])


def _sum_values(values):
    nums = []
    for v in values:
        tv = type(v)
        if tv is int or tv is float:
            nums.append(v)
        elif tv is XlError:
            return v
    return nums


def _remembered(ev, name, ranges, crits, compute):
    """``compute()``, kept per function, ranges and criterion values: a column of SUMIFs over the
    same ranges with a few distinct criteria computes each sum once (values do not change once
    computed in a recalculation)."""
    if not all(type(r) is Ref for r in ranges):
        return compute()
    values = [_deref(ev, c) for c in crits]
    if any(type(v) is Arr for v in values):
        return compute()
    key = (name, tuple(r.key for r in ranges), tuple(_criteria_key(v) for v in values))
    got = ev.lookups.get(key)
    if got is None:
        got = ev.lookups[key] = compute()
    return got


def _sum_of(vals):
    nums = vals if type(vals) is XlError else _sum_values(vals)
    return nums if type(nums) is XlError else total(nums)


def _average_of(vals, name):
    nums = vals if type(vals) is XlError else _sum_values(vals)
    if type(nums) is XlError:
        return nums
    return total(nums) / len(nums) if nums else _e("#DIV/0!", f"#DIV/0!: {name} matched no numbers")


def SUMIF(ev, rng, crit, target=MISSING):
    t = rng if target is MISSING else target
    return _remembered(ev, "SUMIF", [rng, t], [crit],
                       lambda: _sum_of(_conditional(ev, t, [(rng, crit)], "SUMIF")))


def SUMIFS(ev, target, *pairs):
    pairs = list(zip(pairs[::2], pairs[1::2]))
    return _remembered(ev, "SUMIFS", [target] + [r for r, _ in pairs], [c for _, c in pairs],
                       lambda: _sum_of(_conditional(ev, target, pairs, "SUMIFS")))


def AVERAGEIF(ev, rng, crit, target=MISSING):
    t = rng if target is MISSING else target
    return _remembered(ev, "AVERAGEIF", [rng, t], [crit],
                       lambda: _average_of(_conditional(ev, t, [(rng, crit)], "AVERAGEIF"), "AVERAGEIF"))


def AVERAGEIFS(ev, target, *pairs):
    pairs = list(zip(pairs[::2], pairs[1::2]))
    return _remembered(ev, "AVERAGEIFS", [target] + [r for r, _ in pairs], [c for _, c in pairs],
                       lambda: _average_of(_conditional(ev, target, pairs, "AVERAGEIFS"), "AVERAGEIFS"))


def COUNTIF(ev, rng, crit):
    def count():
        hit = _conditional(ev, None, [(rng, crit)], "COUNTIF")
        return hit if type(hit) is XlError else len(hit)
    return _remembered(ev, "COUNTIF", [rng], [crit], count)


def COUNTIFS(ev, *pairs):
    pairs = list(zip(pairs[::2], pairs[1::2]))

    def count():
        hit = _conditional(ev, None, pairs, "COUNTIFS")
        return hit if type(hit) is XlError else len(hit)
    return _remembered(ev, "COUNTIFS", [r for r, _ in pairs], [c for _, c in pairs], count)


# -- lookups --------------------------------------------------------------------------------------

def _lookup_key(v):
    """A value as lookups compare it: numbers exactly (0.1+0.2 does not find 0.3, as in Excel and
    LibreOffice), text in spreadsheet order without regard to case, TRUE/FALSE after both."""
    tv = type(v)
    if tv is int or tv is float:
        return 0, float(v)
    if tv is str:
        return 1, text_key(v)
    if tv is bool:
        return 2, v
    return None


def _vector(ev, rng):
    """A one-row or one-column range/array as its list of values, or None."""
    if type(rng) is Ref:
        if rng.r0 != rng.r1 and rng.c0 != rng.c1:
            return None
        return [v for row in ev.grid(rng) for v in row]
    if type(rng) is Arr:
        if len(rng.rows) > 1 and len(rng.rows[0]) > 1:
            return None
        return [v for row in rng.rows for v in row]
    return [rng]


def _position(ev, x, rng, mode, name):
    """The 0-based position of ``x`` in the vector ``rng`` (mode 0 exact, 1 largest <=, -1
    smallest >=), or #N/A. Exact lookups into a range use one index per range."""
    x = _deref(ev, x)
    if type(x) is XlError:
        return x
    if type(x) is Arr:
        raise Refusal(f"{name} of an array of values is not evaluated by recalc")
    if x is None or x is MISSING:
        return _e("#N/A", f"#N/A: {name} of a blank cell")
    key = _lookup_key(x)
    cache = ev.lookups
    ident = ("vec", rng.key) if type(rng) is Ref else None
    if mode == 0 and type(x) is str and _has_wildcard(x):
        vec = _vector(ev, rng)
        rx = wildcard(x)
        for i, v in enumerate(vec):
            if type(v) is str and rx.fullmatch(v):
                return i
        return _e("#N/A", f'#N/A: {name} found no match for "{x}"')
    if mode == 0:
        index = cache.get(("exact",) + ident[1:]) if ident else None
        if index is None:
            vec = _vector(ev, rng)
            index = {}
            for i, v in enumerate(vec):
                k = _lookup_key(v)
                if k is not None and k not in index:
                    index[k] = i
            if ident:
                cache[("exact",) + ident[1:]] = index
        got = index.get(key)
        if got is None:
            return _e("#N/A", f"#N/A: {name} found no exact match for {x!r}")
        return got
    if type(x) is str and not x.isascii():
        raise Refusal(f'an approximate {name} of the text "{x[:40]}": Excel orders letters beyond ASCII by its '
                      "locale's collation, which recalc does not claim")
    ikey = ("sorted", mode) + (ident[1:] if ident else ())
    got = cache.get(ikey) if ident else None
    if got is None:
        got = _ordered(_vector(ev, rng), mode)
        if ident:
            cache[ikey] = got
    if type(got) is str:
        raise Refusal(f"an approximate {name} (match type {mode}) over {got}: Excel's binary search may answer "
                      "otherwise than a scan, so recalc does not claim its result; sort the range or use an exact "
                      "match")
    kind, keys = got
    if kind != key[0]:
        return _e("#N/A", f"#N/A: {name}: {x!r} is not of the kind of the values looked in")
    if mode > 0:
        at = bisect_right(keys, key[1]) - 1
        if at < 0:
            return _e("#N/A", f"#N/A: {name}: {x!r} is below the first value")
    else:                                          # -1: data sorted descending, smallest >= x
        at = sum(1 for k in keys if k >= key[1]) - 1     # the values >= x come first
        if at < 0:
            return _e("#N/A", f"#N/A: {name}: {x!r} is above the first value")
    if key[0] == 1:                                # x between the text it lands on and the next one
        for k in (keys[at], keys[at + 1] if at + 1 < len(keys) else None):
            if k is not None and (why := order_in_doubt(key[1], k)) is not None:
                raise Refusal(f'an approximate {name} of the text "{x[:40]}": its order in Excel against the range '
                              f"is in doubt ({why}); recalc does not claim it")
    if (at > 0 and keys[at - 1] == keys[at]) or (at + 1 < len(keys) and keys[at + 1] == keys[at]):
        raise Refusal(f"an approximate {name} lands on a value the range holds more than once: which of them "
                      "Excel's binary search finds is not claimed by recalc; use an exact match")
    return at


def _ordered(vec, mode):
    """(kind, keys) of the vector of an approximate lookup, or why it is refused (a text): values
    of more than one kind (numbers, text, TRUE/FALSE, errors), a blank before the last value,
    text beyond ASCII, or values not in order (ascending for mode 1, descending for -1)."""
    last = max((i for i, v in enumerate(vec) if v is not None), default=-1)
    kinds, keys = set(), []
    for i in range(last + 1):
        v = vec[i]
        if v is None:
            return f"a range with a blank cell between its values (position {i + 1})"
        k = _lookup_key(v)
        if k is None:
            return f"a range holding the error {v}"
        if type(v) is str and not v.isascii():
            return f'text with letters beyond ASCII ("{v[:40]}"), ordered by a collation recalc does not claim'
        kinds.add(k[0])
        keys.append(k[1])
    if len(kinds) > 1:
        return "a range mixing numbers, text and TRUE/FALSE"
    for i in range(1, len(keys)):
        if type(keys[i]) is str and (why := order_in_doubt(keys[i - 1], keys[i])) is not None:
            return f"text whose order in Excel is in doubt (positions {i} and {i + 1}: {why})"
        if (keys[i] < keys[i - 1]) if mode > 0 else (keys[i] > keys[i - 1]):
            return (f"a range not sorted {'ascending' if mode > 0 else 'descending'} (position {i + 1} is "
                    f"{'below' if mode > 0 else 'above'} position {i})")
    return (kinds.pop() if kinds else None), keys


def MATCH(ev, x, rng, mode=1):
    rng_v = rng if type(rng) in (Ref, Arr) else _deref(ev, rng)
    if type(rng_v) is XlError:
        return rng_v
    if type(rng_v) in (Ref, Arr) and min(rng_v.shape) > 1:
        return _e("#N/A", "#N/A: MATCH needs a single row or column")
    mode = _num(_deref(ev, mode))              # MATCH(x,r,): an empty argument is 0, an exact match
    if type(mode) is XlError:
        return mode
    p = _position(ev, x, rng_v, (mode > 0) - (mode < 0), "MATCH")
    return p if type(p) is XlError else p + 1


def _table_lookup(ev, x, table, index, approx, name, vertical):
    if type(table) not in (Ref, Arr):
        return _e("#N/A", f"#N/A: {name} needs a range")
    n = _int_arg(_deref(ev, index))
    if type(n) is XlError:
        return n
    approx = to_bool(_deref(ev, approx))       # VLOOKUP(x,t,2,): empty is FALSE, an exact match
    if type(approx) is XlError:
        return approx
    rows, cols = table.shape
    if n < 1:
        return _e("#VALUE!", f"#VALUE!: {name} index {n} is below 1")
    if n > (cols if vertical else rows):
        return _e("#REF!", f"#REF!: {name} index {n} is beyond the table's {cols if vertical else rows}")
    if type(table) is Ref:
        key = Ref(table.sheet, table.r0, table.c0, table.r1 if vertical else table.r0, table.c0 if vertical else table.c1)
    else:
        key = Arr([[r[0]] for r in table.rows] if vertical else [table.rows[0]])
    p = _position(ev, x, key, 1 if approx else 0, name)
    if type(p) is XlError:
        return p
    i, j = (p, n - 1) if vertical else (n - 1, p)
    if type(table) is Ref:
        return ev.cell(table.sheet, table.r0 + i, table.c0 + j)
    return table.rows[i][j]


def VLOOKUP(ev, x, table, col, approx=True):
    return _table_lookup(ev, x, table, col, approx, "VLOOKUP", True)


def HLOOKUP(ev, x, table, row, approx=True):
    return _table_lookup(ev, x, table, row, approx, "HLOOKUP", False)


def INDEX(ev, a, row=MISSING, col=None, area=MISSING):
    """The cell (or with 0, the whole row or column) of a range: a reference, so it can bound a
    range (``A1:INDEX(A1:A9,3)``); of an array, its values."""
    if type(a) is XlError:
        return a
    if area is not MISSING:
        k = _int_arg(_deref(ev, area))
        if type(k) is XlError:
            return k
        if k != 1:
            return _e("#REF!", "#REF!: INDEX area beyond the one range given")
    if type(a) not in (Ref, Arr):
        a = Arr([[a]])
    r = 0 if row is MISSING else _int_arg(_deref(ev, row))
    if type(r) is XlError:
        return r
    c = None if col is None else 0 if col is MISSING else _int_arg(_deref(ev, col))
    if type(c) is XlError:
        return c
    n, m = a.shape
    if c is None:
        if n == 1:
            r, c = 1, r
        elif m == 1:
            c = 1
        else:
            c = 0
    if r < 0 or c < 0:
        return _e("#VALUE!", "#VALUE!: INDEX of a negative row or column")
    if r > n or c > m:
        return _e("#REF!", f"#REF!: INDEX row {r}, column {c} is outside the {n} x {m} range")
    if type(a) is Ref:
        return Ref(a.sheet, a.r0 + r - 1 if r else a.r0, a.c0 + c - 1 if c else a.c0, a.r0 + r - 1 if r else a.r1,
                   a.c0 + c - 1 if c else a.c1)
    rows = a.rows if r == 0 else [a.rows[r - 1]]
    rows = rows if c == 0 else [[x[c - 1]] for x in rows]
    return Arr(rows) if len(rows) > 1 or len(rows[0]) > 1 else rows[0][0]


# name -> (function, fewest arguments, most arguments (None: any number))
FUNCTIONS = {
    "ABS": (ABS, 1, 1), "AND": (AND, 1, None), "AVERAGE": (AVERAGE, 1, None), "AVERAGEIF": (AVERAGEIF, 2, 3),
    "AVERAGEIFS": (AVERAGEIFS, 3, None), "CONCATENATE": (CONCATENATE, 1, None), "COUNT": (COUNT, 1, None),
    "COUNTA": (COUNTA, 1, None), "COUNTBLANK": (COUNTBLANK, 1, 1), "COUNTIF": (COUNTIF, 2, 2),
    "COUNTIFS": (COUNTIFS, 2, None), "DATE": (DATE, 3, 3), "DAY": (DAY, 1, 1), "EDATE": (EDATE, 2, 2),
    "EOMONTH": (EOMONTH, 2, 2), "EXP": (EXP, 1, 1), "FALSE": (FALSE, 0, 0), "HLOOKUP": (HLOOKUP, 3, 4), "INDEX": (INDEX, 2, 4),
    "INT": (INT, 1, 1), "ISBLANK": (ISBLANK, 1, 1), "ISERROR": (ISERROR, 1, 1), "ISNUMBER": (ISNUMBER, 1, 1),
    "ISTEXT": (ISTEXT, 1, 1), "LEFT": (LEFT, 1, 2), "LEN": (LEN, 1, 1), "LN": (LN, 1, 1), "LOWER": (LOWER, 1, 1),
    "MATCH": (MATCH, 2, 3), "MAX": (MAX, 1, None), "MEDIAN": (MEDIAN, 1, None), "MID": (MID, 3, 3),
    "MIN": (MIN, 1, None), "MOD": (MOD, 2, 2), "MONTH": (MONTH, 1, 1), "NA": (NA, 0, 0), "NOT": (NOT, 1, 1),
    "OR": (OR, 1, None), "POWER": (POWER, 2, 2), "RIGHT": (RIGHT, 1, 2), "ROUND": (ROUND, 2, 2),
    "ROUNDDOWN": (ROUNDDOWN, 2, 2), "ROUNDUP": (ROUNDUP, 2, 2), "SIGN": (SIGN, 1, 1), "SQRT": (SQRT, 1, 1),
    "SUM": (SUM, 1, None), "SUMIF": (SUMIF, 2, 3), "SUMIFS": (SUMIFS, 3, None), "SUMPRODUCT": (SUMPRODUCT, 1, None),
    "TRIM": (TRIM, 1, 1), "TRUE": (TRUE, 0, 0), "UPPER": (UPPER, 1, 1), "VLOOKUP": (VLOOKUP, 3, 4), "YEAR": (YEAR, 1, 1),
}
LAZY = {"IF": (IF, 2, 3), "IFERROR": (IFERROR, 2, 2), "CHOOSE": (CHOOSE, 2, None)}
PAIRED = {"SUMIFS": 1, "AVERAGEIFS": 1, "COUNTIFS": 0}      # (range, criterion) pairs after this many


def check_arguments(name: str, count: int):
    _, least, most = FUNCTIONS.get(name) or LAZY[name]
    if count < least or (most is not None and count > most):
        raise FormulaError(f"{name} takes {least}{'' if most == least else f' to {most}' if most else ' or more'} "
                           f"arguments, not {count}")
    if name in PAIRED and (count - PAIRED[name]) % 2:
        raise FormulaError(f"{name} takes (range, criterion) pairs")
