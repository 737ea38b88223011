"""recalc's formula engine: Excel formulas parsed once per shape, evaluated in dependency order.

A formula is tokenized with openpyxl's tokenizer and parsed into a tree with Excel's operator
precedence (``:`` > unary ``-``/``+`` > ``%`` > ``^`` > ``* /`` > ``+ -`` > ``&`` > comparisons).
Its cell references are first replaced by numbered slots, so a column of copied-down formulas
(``=C2*(1+D2)``, ``=C3*(1+D3)``, ...) has one *shape*, compiled once into a Python closure; each
cell keeps only the absolute cells its own slots name. Cells are evaluated in an order where
every cell comes after the cells and ranges it references (found without recursion, so chains
of any length work); a circular reference is an error naming its cells, never a guess.

Values are Excel's: numbers (int/float), text (str), booleans, ``None`` for a blank cell,
``XlError`` for an error value, ``Ref`` for a reference and ``Arr`` for an array (rows of
values). The worksheet functions themselves are in ``sheet_functions``.
"""

from __future__ import annotations

import functools
import math
import re

ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")
MAX_ROW, MAX_COL = 1_048_576, 16_384


class XlError:
    """An Excel error value. ``reason`` says why, in one line; ``origin`` is the cell it arose in
    (set when the engine stores it); ``dependent``: this cell only holds it because it reads
    ``origin``."""

    __slots__ = ("code", "dependent", "origin", "reason")

    def __init__(self, code: str, reason: str | None = None, origin: str | None = None, dependent: bool = False):
        self.code, self.reason, self.origin, self.dependent = code, reason, origin, dependent

    def __str__(self):
        return self.code

    def __repr__(self):
        return f"XlError({self.code!r}, {self.reason!r}, {self.origin!r})"

    def __eq__(self, other):
        return isinstance(other, XlError) and other.code == self.code or isinstance(other, str) and other == self.code

    def __hash__(self):
        return hash(self.code)

    @property
    def message(self) -> str | None:
        if self.dependent:
            reason = self.reason or generic_reason(self.code)
            return f"depends on {self.origin}: {reason}" if reason.startswith(self.code) else \
                f"depends on {self.origin} ({self.code}): {reason}"
        return self.reason

    def at(self, cell: str) -> XlError:
        """This error as stored in ``cell``: arising there, or depending on where it arose."""
        if self.origin is None:
            return XlError(self.code, self.reason, cell)
        if self.origin == cell or self.dependent:
            return self
        return XlError(self.code, self.reason, self.origin, dependent=True)


def generic_reason(code: str) -> str:
    return {
        "#N/A": "#N/A: a lookup found nothing, or the formula depends on a cell recalc could not evaluate",
        "#DIV/0!": "#DIV/0!: a division by zero",
        "#REF!": "#REF!: a reference outside the sheet or the range, or to a sheet that does not exist",
        "#NAME?": "#NAME?: a name or function the workbook does not define",
        "#VALUE!": "#VALUE!: an argument of the wrong type (text where a number is needed), or it depends on a "
                   "cell in error",
        "#NUM!": "#NUM!: a number out of range",
    }.get(code, f"{code}: the formula evaluates to an error")


def err(code: str, reason: str | None = None) -> XlError:
    return XlError(code, reason)


class Ref:
    """A reference to the rectangle r0..r1 x c0..c1 (1-based, inclusive) of ``sheet`` (upper case)."""

    __slots__ = ("c0", "c1", "r0", "r1", "sheet")

    def __init__(self, sheet, r0, c0, r1, c1):
        self.sheet, self.r0, self.c0, self.r1, self.c1 = sheet, r0, c0, r1, c1

    @property
    def shape(self):
        return self.r1 - self.r0 + 1, self.c1 - self.c0 + 1

    @property
    def key(self):
        return self.sheet, self.r0, self.c0, self.r1, self.c1

    def __repr__(self):
        return f"Ref({self.sheet}!R{self.r0}C{self.c0}:R{self.r1}C{self.c1})"


class Arr:
    """An array value: a list of rows, every row the same length."""

    __slots__ = ("rows",)

    def __init__(self, rows):
        self.rows = rows

    @property
    def shape(self):
        return len(self.rows), len(self.rows[0]) if self.rows else 0

    def __repr__(self):
        return f"Arr({self.rows!r})"


class Missing:
    """An omitted argument (``ROUND(A1,)``, ``QCONVERT(A1,B1,,C1)``)."""

    def __repr__(self):
        return "Missing"


MISSING = Missing()


class FormulaError(Exception):
    """A formula the engine cannot read: its message is the reason, shown to the user."""


class Refusal(Exception):
    """recalc cannot be sure of Excel's value here: raised, never returned, so no function can
    catch, test, count, match or skip it (IFERROR, ISERROR, COUNTIF, SUM over a range...). The
    cell being evaluated is refused with ``reason``; ``origin``: the refused cell it read, if the
    refusal comes from reading one."""

    def __init__(self, reason: str, origin: str | None = None):
        super().__init__(reason)
        self.reason, self.origin = reason, origin


class Refused:
    """What a refused cell holds in the engine: reading it (directly or through a range) raises
    ``Refusal`` naming it, so every cell that reads it is refused too."""

    __slots__ = ("origin", "reason")

    def __init__(self, reason: str, origin: str):
        self.reason, self.origin = reason, origin

    def refusal(self) -> Refusal:
        return Refusal(self.reason, self.origin)

    def __repr__(self):
        return f"Refused({self.origin!r}, {self.reason!r})"


def refuse(reason: str):
    raise Refusal(reason)


# -- numbers, text, truth -----------------------------------------------------------------------

# Only ASCII digits and spaces: a non-breaking space is not part of a number for Excel
# ("5"&CHAR(160) + 0 is #VALUE!), where Python's \s would accept it (and \d other digits).
_NUMBER_TEXT = re.compile(r" *[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)? *")
_MAYBE_NUMBER_TEXT = re.compile(r"[\s0-9.,$%+\-eE/:()]*[0-9][\s0-9.,$%+\-eE/:()]*", re.ASCII)


def unreadable_number(s: str) -> str:
    return (f'the text "{s[:40]}" may be a number, date or time to Excel, which recalc does not read (only plain '
            "numbers like 12.5 are; thousands separators, currency, percent, dates and other spacing are not)")


def text_to_number(s: str):
    """Text that reads as a plain number (``" 12.5 "``, ``"1e3"``, ``"-3"``) as that number;
    other text is #VALUE!. Text Excel might read as a number ("1,000", "50%", "3/15/2026") is
    refused (``Refusal``): recalc cannot be sure of Excel's value."""
    if _NUMBER_TEXT.fullmatch(s):
        f = float(s)
        if not math.isfinite(f):
            raise Refusal(f'the text "{s[:40]}" is a number beyond the range of doubles: recalc does not claim '
                          "Excel's value")
        return f
    if _MAYBE_NUMBER_TEXT.fullmatch(s):
        raise Refusal(unreadable_number(s))
    if not s.isascii() and any(ch.isdigit() and not ch.isascii() for ch in s):
        raise Refusal(f'the text "{s[:40]}" holds digits beyond ASCII (full-width, Arabic-Indic...), which Excel '
                      "reads as a number in some locales: recalc does not claim which")
    return err("#VALUE!", f'#VALUE!: the text "{s[:40]}" where a number is needed')


def _not_scalar(v):
    """An array (or range) where one value is needed: in an array formula Excel takes each of its
    values in turn (``{=INDEX(B1:B4,A1:A2)}`` is B1 and B2), not #VALUE!; recalc does not."""
    if type(v) is Arr or type(v) is Ref:
        raise Refusal("an array where the function takes one value (Excel would take each value in turn): "
                      "not evaluated by recalc")
    return err("#VALUE!")


def to_number(v):
    """A scalar as a number for arithmetic: blank 0, TRUE 1, text that reads as a number."""
    t = type(v)
    if t is int or t is float:
        return v
    if t is bool:
        return 1 if v else 0
    if v is None or v is MISSING:
        return 0
    if t is str:
        return text_to_number(v)
    if t is XlError:
        return v
    return _not_scalar(v)


def number_text(x) -> str:
    """A number as Excel writes it into text (``=A1&""``, LEN, LEFT...): the General format's 15
    significant digits, plain from 0.0001 up to 1E+15 (1/3 is "0.333333333333333"), with an
    exponent from 1E+15 on (1234567890123456 is "1.23456789012346E+15", 10^20 is "1E+20").
    A number below 0.0001 is refused: where Excel's text turns to an exponent there ("0.00001"
    or "1E-05") is not documented, so recalc does not claim it."""
    x = float(x)
    if x == 0:
        return "0"
    if abs(x) < 1e-4:
        raise Refusal(f"the text of the number {x!r}: below 0.0001, whether Excel writes it with an exponent is not "
                      "documented, so recalc does not claim it")
    s = f"{x:.15g}"
    if "e" in s:                                  # 1E+15 and above (15 significant digits rounded)
        mant, exp = f"{x:.14e}".split("e")
        mant = mant.rstrip("0").rstrip(".")
        s = f"{mant}E{exp[0]}{exp[1:].lstrip('0').rjust(2, '0')}"
    return s


def to_text(v):
    t = type(v)
    if t is str:
        return v
    if v is None or v is MISSING:
        return ""
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is int or t is float:
        return number_text(v)
    if t is XlError:
        return v
    return _not_scalar(v)


def to_bool(v):
    t = type(v)
    if t is bool:
        return v
    if t is int or t is float:
        return v != 0
    if v is None or v is MISSING:
        return False
    if t is str:
        u = v.strip().upper()
        if u in ("TRUE", "FALSE"):
            return u == "TRUE"
        return err("#VALUE!", f'#VALUE!: the text "{v[:40]}" where TRUE or FALSE is needed')
    if t is XlError:
        return v
    return _not_scalar(v)


def is_number(v) -> bool:
    t = type(v)
    return t is int or t is float


def _near(x, y):
    return x != 0 and abs(x - y) <= abs(x) * 2.0 ** -48


def approx_equal(a, b) -> bool:
    """Numbers equal as spreadsheets compare them (to the last bits of a double)."""
    if a == b:
        return True
    if a == 0 or b == 0:
        return False
    d = abs(a - b)
    return d < abs(a) * 2.0 ** -48 and d < abs(b) * 2.0 ** -48


def add(x, y):
    """``x + y``, 0 when the operands cancel to within the last bits of a double: ``=H15-SUM(H2:H14)``
    is 0, not 2.98e-08, as in LibreOffice (rtl::math::approxAdd) and Excel."""
    if (x < 0) != (y < 0) and _near(x, -y):
        return 0.0
    return x + y


def sub(x, y):
    if (x < 0) == (y < 0) and _near(x, y):
        return 0.0
    return x - y


# Comparison: numbers < text < booleans; text without regard to case; blank as 0, "" or FALSE.
_RANK = {int: 0, float: 0, str: 1, bool: 2}


def compare(a, b):
    """-1, 0 or 1 as Excel orders a and b, or the error either holds."""
    if type(a) is XlError:
        return a
    if type(b) is XlError:
        return b
    if a is None or a is MISSING:
        a = "" if type(b) is str else False if type(b) is bool else 0
    if b is None or b is MISSING:
        b = "" if type(a) is str else False if type(a) is bool else 0
    ra, rb = _RANK[type(a)], _RANK[type(b)]
    if ra != rb:
        return -1 if ra < rb else 1
    if ra == 0:
        if approx_equal(a, b):
            return 0
        return -1 if a < b else 1
    if ra == 1:
        a, b = text_key(a), text_key(b)
    return 0 if a == b else -1 if a < b else 1


@functools.lru_cache(maxsize=65_536)
def text_key(s: str) -> str:
    """Text as spreadsheets order it: without regard to case; spaces and punctuation before
    digits, digits before letters ("a~b" < "alpha", where Python puts "~" after "l")."""
    return "".join(ch if not ch.isalnum() else chr(0x20000 + ord(ch)) for ch in s.lower())


# Excel's documented order of text ("Default sort orders", Excel help): digits, then
# (space) ! " # $ % & ( ) * , . / : ; ? @ [ \ ] ^ _ ` { | } ~ + < = >, then letters; apostrophes and
# hyphens are ignored. text_key puts spaces and signs in ASCII order before digits, as LibreOffice
# does. Where the two orders disagree about which text comes first, recalc does not claim Excel's.
_EXCEL_SIGNS = " !\"#$%&()*,./:;?@[\\]^_`{|}~+<=>"
_SIGN_RANK = {ch: i for i, ch in enumerate(_EXCEL_SIGNS)}


def _key_char(k: str) -> str:
    o = ord(k)
    return chr(o - 0x20000) if o >= 0x20000 else k


def order_in_doubt(ka: str, kb: str) -> str | None:
    """Why the order of two texts (as ``text_key`` gives them) is not sure in Excel, or None: the
    first character where they differ is an apostrophe or hyphen (Excel skips them), a digit
    against a space or sign (Excel's documentation puts digits first, LibreOffice after), or two
    signs Excel ranks otherwise than ASCII (``+ < = >`` come after ``~``)."""
    if ka == kb:
        return None
    n = min(len(ka), len(kb))
    i = 0
    while i < n and ka[i] == kb[i]:
        i += 1
    if i == n:                                   # one text begins the other: the shorter first
        extra = _key_char((ka if len(ka) > n else kb)[n])
        return None if extra not in "'-" else f"the {extra!r} after the shorter text, which Excel skips"
    a, b = _key_char(ka[i]), _key_char(kb[i])
    for ch in (a, b):
        if ch in "'-":
            return f"{ch!r} against {b if ch == a else a!r}: Excel skips apostrophes and hyphens in the order of text"
    if a.isalnum() and b.isalnum():
        return None
    if a.isalpha() or b.isalpha():               # a sign before a letter in both orders
        return None if (a in _SIGN_RANK or b in _SIGN_RANK) else f"{a!r} against {b!r}"
    if a.isdigit() or b.isdigit():
        return f"{a!r} against {b!r}: Excel's documented order puts digits before spaces and signs, LibreOffice after"
    if a in _SIGN_RANK and b in _SIGN_RANK and (_SIGN_RANK[a] < _SIGN_RANK[b]) == (a < b):
        return None
    return f"{a!r} against {b!r}: Excel's documented order of signs is not ASCII's"


def check_text_order(a: str, b: str):
    """Refuse to order the texts ``a`` and ``b`` where Excel's order of them is in doubt."""
    why = order_in_doubt(text_key(a), text_key(b))
    if why is not None:
        raise Refusal(f'the order of "{a[:20]}" and "{b[:20]}" in Excel: {why}; recalc does not claim it')


# -- formulas: slots, shapes, parsing -------------------------------------------------------------

# A cell reference (A1, $B$7) outside string literals and quoted sheet names; not a function
# name (LOG10(), nor a sheet name (AB1!A1), nor part of a longer name.
CELL_REF = re.compile(r"(?<![A-Za-z0-9_.$\\\]])\$?([A-Za-z]{1,3})\$?([0-9]{1,7})(?![A-Za-z0-9_.(!\[$])")
_QUOTED = re.compile(r"(\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*')")
# Whole-column / whole-row references (A:A, 3:5): relative ones move in a shared formula.
_LINE_REF = re.compile(r"(?<![A-Za-z0-9_.$])\$?([A-Za-z]{1,3}:\$?[A-Za-z]{1,3}|[0-9]+:\$?[0-9]+)(?![A-Za-z0-9_.(])")
SLOT = "XLQSLOT"
_col_cache: dict[str, int] = {}


def col_number(letters: str) -> int:
    n = _col_cache.get(letters)
    if n is None:
        n = 0
        for ch in letters.upper():
            n = n * 26 + ord(ch) - 64
        _col_cache[letters] = n
    return n


def col_letters(col: int) -> str:
    s = ""
    while col:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def shape_of(formula: str):
    """(shape text with every cell reference a numbered slot, [(row, col), ...] of the slots),
    or None if a slot is not a cell (a name like XYZ1 beyond column XFD)."""
    refs = []
    parts = _QUOTED.split(formula)
    out = []

    def slot(m):
        col, row = col_number(m.group(1)), int(m.group(2))
        refs.append((row, col))
        return f"{SLOT}{len(refs) - 1}_"

    for part in parts:
        if part[:1] in ('"', "'"):
            out.append(part)
        else:
            out.append(CELL_REF.sub(slot, part))
    for r, c in refs:
        if not (1 <= r <= MAX_ROW and 1 <= c <= MAX_COL):
            return None
    return "".join(out), refs


def shared_slots(formula: str):
    """For a shared formula's master: (shape, refs, absolute flags [(row_abs, col_abs)]), or None
    when its children cannot be derived by moving the slots (whole-row/column references)."""
    bare = "".join(p if p[:1] not in ('"', "'") else '""' for p in _QUOTED.split(formula))
    if _LINE_REF.search(bare):
        return None
    got = shape_of(formula)
    if got is None:
        return None
    flags = []
    for part in _QUOTED.split(formula):
        if part[:1] in ('"', "'"):
            continue
        for m in CELL_REF.finditer(part):
            text = m.group(0)
            flags.append((text.rfind("$") > 0, text.startswith("$")))
    return got[0], got[1], flags


def tokens(shape: str):
    from openpyxl.formula.tokenizer import Tokenizer, TokenizerError

    try:
        items = Tokenizer("=" + shape).items
    except TokenizerError as e:
        raise FormulaError(f"the engine cannot read this formula ({str(e).split(' in ')[0]})") from None
    return [t for t in items if t.type != "WHITE-SPACE"]


# Node kinds: ("num", v) ("str", v) ("bool", v) ("err", code) ("missing",) ("ref", sheet, a, b)
# ("line", sheet, r0, c0, r1, c1) ("call", NAME, [args]) ("op", sym, left, right) ("neg", x)
# ("pct", x) ("pos", x) ("array", rows) ("range", left, right)

_INFIX = {"=": 10, "<>": 10, "<": 10, ">": 10, "<=": 10, ">=": 10, "&": 20, "+": 30, "-": 30, "*": 40, "/": 40,
          "^": 50}
_SLOT_RE = re.compile(rf"{SLOT}(\d+)_")
_OPERAND_REF = re.compile(rf"(?:(?P<sheet>'(?:[^']|'')+'|[^'!:]+)!)?(?P<a>\$?{SLOT}\d+_|\$?[A-Za-z]{{1,3}}|\$?\d+)"
                          rf"(?::(?P<b>\$?{SLOT}\d+_|\$?[A-Za-z]{{1,3}}|\$?\d+))?")


_NAME_REF = re.compile(r"(?:(?P<sheet>'(?:[^']|'')+'|[^'!:]+)!)?(?P<a>\$?[A-Za-z]{1,3}\$?\d+|\$?[A-Za-z]{1,3}|\$?\d+)"
                       r"(?::(?P<b>\$?[A-Za-z]{1,3}\$?\d+|\$?[A-Za-z]{1,3}|\$?\d+))?")
_NAME_CELL = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)(\d+)")


def defined_name(name: str, definition: str, sheets) -> tuple:
    """The tree of a defined name: a fixed cell or range ($A$1, Sheet!$A$1:$B$9, $B:$B) or a
    constant; anything else (a formula, a reference that moves with the cell) is refused."""
    text = definition.strip().lstrip("=")
    if _NUMBER_TEXT.fullmatch(text):
        f = float(text)
        return ("num", int(f) if f.is_integer() and "." not in text and "e" not in text.lower() else f)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return ("str", text[1:-1].replace('""', '"'))
    if text.upper() in ("TRUE", "FALSE"):
        return ("bool", text.upper() == "TRUE")
    if text.upper() in ERROR_CODES:
        return ("err", text.upper())
    m = _NAME_REF.fullmatch(text)
    if m is None or m.group("sheet") is None:
        raise FormulaError(f"the name {name} stands for {definition[:60]}, which recalc does not evaluate (only a "
                           "name for a fixed cell, range or constant)")
    s = m.group("sheet")
    sheet = (s[1:-1].replace("''", "'") if s.startswith("'") else s).upper()
    if sheet not in sheets:
        return ("err", "#REF!")
    a, b = m.group("a"), m.group("b") or m.group("a")
    parts = []
    for end in (a, b):
        c = _NAME_CELL.fullmatch(end)
        if c:
            if not (c.group(1) and c.group(3)):
                raise FormulaError(f"the name {name} ({definition[:60]}) moves with the cell that uses it, which recalc "
                                   "does not evaluate")
            parts.append((int(c.group(4)), col_number(c.group(2))))
        elif end.lstrip("$").isdigit() and end.startswith("$"):
            parts.append((int(end[1:]), None))
        elif end.lstrip("$").isalpha() and end.startswith("$"):
            parts.append((None, col_number(end[1:])))
        else:
            raise FormulaError(f"the name {name} ({definition[:60]}) moves with the cell that uses it, which recalc "
                               "does not evaluate")
    (r0, c0), (r1, c1) = parts
    if r0 is None and r1 is None:                                  # $B:$C
        return ("line", sheet, 1, c0, None, c1)
    if c0 is None and c1 is None:                                  # $3:$5
        return ("line", sheet, r0, 1, r1, None)
    if None in (r0, c0, r1, c1):
        raise FormulaError(f"the name {name} ({definition[:60]}) is not a range recalc reads")
    return ("line", sheet, min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1))


class Parser:
    def __init__(self, toks, sheet: str, sheets, names=None):
        self.toks, self.i, self.sheet, self.sheets = toks, 0, sheet, sheets
        self.names = names or {}

    def name(self, text):
        """A defined name: the sheet's own first, then the workbook's; #NAME? if neither."""
        scope, _, bare = text.rpartition("!")
        scope = (scope[1:-1].replace("''", "'") if scope.startswith("'") else scope).upper() or self.sheet
        key = bare.upper()
        definition = self.names.get((scope, key)) or (None if "!" in text else self.names.get((None, key)))
        if definition is None:
            return ("err", "#NAME?", f"#NAME?: the name {bare} is not defined in this workbook")
        return defined_name(bare, definition, self.sheets)

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self):
        t = self.peek()
        if t is None:
            raise FormulaError("the engine cannot read this formula (it ends too early)")
        self.i += 1
        return t

    def parse(self):
        node = self.expr(0)
        if self.peek() is not None:
            raise FormulaError(f"the engine cannot read this formula (unexpected {self.peek().value!r})")
        if node[0] == "op" and node[1] in ("+", "-") and not self.wrapped():
            # Excel makes a + or - 0 when its operands cancel to the last bits of a double only if
            # it is the formula's last operation: =0.5-0.4-0.1 is 0, but =(0.5-0.4-0.1) and
            # =1*(0.5-0.4-0.1) are -2.78E-17 (Microsoft, "Floating-point arithmetic may give
            # inaccurate results in Excel": the example 1*(.5-.4-.1))
            node = ("op", node[1] + "!", node[2], node[3])
        return node

    def wrapped(self) -> bool:
        """The whole formula is in one pair of parentheses."""
        toks = self.toks
        if not toks or toks[0].type != "PAREN" or toks[0].subtype != "OPEN":
            return False
        depth = 0
        for i, t in enumerate(toks):
            if t.type == "PAREN" or (t.type == "FUNC" and t.subtype in ("OPEN", "CLOSE")):
                depth += 1 if t.subtype == "OPEN" else -1
                if depth == 0:
                    return i == len(toks) - 1
        return False

    def expr(self, min_bp):
        left = self.bounds(self.prefix())
        while True:
            t = self.peek()
            if t is None:
                return left
            if t.type == "OPERATOR-POSTFIX":
                if 60 < min_bp:
                    return left
                self.i += 1
                left = ("pct", left)
                continue
            if t.type == "OPERATOR-INFIX":
                if t.value not in _INFIX:
                    raise FormulaError(f"the engine cannot read this formula (the operator {t.value!r}: unions and "
                                       "intersections of ranges are not evaluated by recalc)")
                bp = _INFIX[t.value]
                if bp <= min_bp:                 # left-associative, ^ too (2^3^2 is 64, as Excel)
                    return left
                self.i += 1
                right = self.expr(bp + 1)
                left = ("op", t.value, left, right)
                continue
            return left

    def bounds(self, left):
        """``INDEX(..):A4``, ``INDEX(..):INDEX(..)``: a range from the reference INDEX returns."""
        while True:
            t = self.peek()
            if t is None or not t.value.startswith(":"):
                return left
            if left[0] not in ("ref", "range") and left[:2] != ("call", "INDEX"):
                raise FormulaError("the engine cannot read this formula (a range that starts with a value)")
            self.i += 1
            if t.type == "OPERAND" and t.subtype == "RANGE":
                right = self.reference(t.value[1:])
                if right[0] != "ref" or right[3] is not None:
                    raise FormulaError(f"the engine cannot read this formula (the range end {t.value[1:]})")
            elif t.type == "FUNC" and t.subtype == "OPEN" and t.value[1:-1].upper() in ("INDEX", "_XLFN.INDEX"):
                right = self.call(t.value[1:-1])
            else:
                raise FormulaError(f"the engine cannot read this formula (the range end {t.value})")
            left = ("range", left, right)

    def prefix(self):
        t = self.next()
        if t.type == "OPERATOR-PREFIX":
            inner = self.expr(70)
            return ("neg", inner) if t.value == "-" else ("pos", inner)
        if t.type == "OPERAND":
            return self.operand(t)
        if t.type == "PAREN" and t.subtype == "OPEN":
            inner = self.expr(0)
            close = self.next()
            if close.type != "PAREN":
                raise FormulaError("the engine cannot read this formula (a parenthesis is not closed)")
            return inner
        if t.type == "FUNC" and t.subtype == "OPEN":
            return self.call(t.value[:-1])
        if t.type == "ARRAY" and t.subtype == "OPEN":
            return self.array()
        raise FormulaError(f"the engine cannot read this formula (unexpected {t.value!r})")

    def call(self, name):
        prefix = None
        if ":" in name:
            prefix, name = name.rsplit(":", 1)
        up = name.upper()
        for p in ("_XLFN.", "_XLUDF.", "_XLWS."):
            while up.startswith(p):
                up = up[len(p):]
        args = []
        if self.peek() is not None and self.peek().type == "FUNC" and self.peek().subtype == "CLOSE":
            self.i += 1
        else:
            while True:
                t = self.peek()
                if t is not None and (t.type == "SEP" and t.subtype == "ARG" or t.type == "FUNC" and t.subtype == "CLOSE"):
                    args.append(("missing",))
                else:
                    args.append(self.expr(0))
                t = self.next()
                if t.type == "SEP" and t.subtype == "ARG":
                    continue
                if t.type == "FUNC" and t.subtype == "CLOSE":
                    break
                raise FormulaError(f"the engine cannot read this formula (unexpected {t.value!r} in {up})")
        node = ("call", up, args)
        if prefix is not None:
            if up != "INDEX":
                raise FormulaError(f"the engine cannot read this formula ({prefix}:{up}(...) as a range)")
            start = self.reference(prefix)
            if start[0] != "ref" or start[3] is not None:
                raise FormulaError("the engine cannot read this formula (a range ending in INDEX)")
            node = ("range", start, node)
        return node

    def array(self):
        rows, row = [], []
        while True:
            t = self.next()
            if t.type == "ARRAY" and t.subtype == "CLOSE":
                rows.append(row)
                break
            if t.type == "SEP":
                if t.subtype == "ROW":
                    rows.append(row)
                    row = []
                continue
            sign = 1
            if t.type == "OPERATOR-PREFIX":
                sign = -1 if t.value == "-" else 1
                t = self.next()
            if t.type != "OPERAND" or t.subtype == "RANGE":
                raise FormulaError("the engine cannot read this formula (an array constant holds only values)")
            node = self.operand(t)
            if node[0] == "num":
                node = ("num", sign * node[1])
            row.append(node[1] if node[0] != "err" else XlError(node[1]))
        if len({len(r) for r in rows}) != 1:
            raise FormulaError("the engine cannot read this formula (array constant rows of different lengths)")
        return ("array", rows)

    def operand(self, t):
        v = t.value
        if t.subtype == "NUMBER":
            f = float(v)
            return ("num", int(f) if f.is_integer() and "." not in v and "e" not in v.lower() and abs(f) < 2 ** 53
                    else f)
        if t.subtype == "TEXT":
            return ("str", v[1:-1].replace('""', '"'))
        if t.subtype == "LOGICAL":
            return ("bool", v.upper() == "TRUE")
        if t.subtype == "ERROR":
            if v.upper() not in ERROR_CODES:
                raise FormulaError(f"the engine cannot read this formula (the error {v})")
            return ("err", v.upper())
        return self.reference(v)

    def reference(self, text):
        m = _OPERAND_REF.fullmatch(text)
        if m is None:
            if "[" in text:
                raise FormulaError("the engine cannot read this formula (a structured or external reference)")
            return self.name(text)
        sheet = self.sheet
        if m.group("sheet"):
            s = m.group("sheet")
            sheet = s[1:-1].replace("''", "'") if s.startswith("'") else s
            if ":" in sheet:
                raise FormulaError("the engine cannot read this formula (a 3-D reference across sheets)")
        sheet = sheet.upper()
        a, b = m.group("a").lstrip("$"), (m.group("b") or "").lstrip("$") or None
        sa, sb = _SLOT_RE.fullmatch(a), _SLOT_RE.fullmatch(b) if b else None
        if sa and (b is None or sb):
            if sheet not in self.sheets:
                return ("err", "#REF!")
            return ("ref", sheet, int(sa.group(1)), int(sb.group(1)) if sb else None)
        if sa or sb:
            raise FormulaError(f"the engine cannot read this formula (the reference {text})")
        if b is None:
            return self.name(text)
        if sheet not in self.sheets:
            return ("err", "#REF!")
        if a.isdigit() and b.isdigit():                       # 3:5, whole rows
            return ("line", sheet, int(a), 1, int(b), None)
        if a.isalpha() and b.isalpha():                       # A:C, whole columns
            return ("line", sheet, 1, col_number(a), None, col_number(b))
        raise FormulaError(f"the engine cannot read this formula (the reference {text})")


def parse(shape: str, sheet: str, sheets, names=None) -> tuple:
    """The tree of a formula's shape on ``sheet``; ``names``: (SHEET or None, NAME) -> definition."""
    return Parser(tokens(shape), sheet, sheets, names).parse()


def static_refs(node, out=None):
    """The ("ref", ...) and ("line", ...) nodes of a tree: what the formula can read."""
    if out is None:
        out = []
    kind = node[0]
    if kind in ("ref", "line"):
        out.append(node)
    elif kind == "call":
        args = node[2]
        if node[1] in WIDENED and len(args) == 3 and _plain_ref(args[0]) and _plain_ref(args[2]):
            # SUMIF(A1:A6,">0",J1) reads J1:J6: Excel widens the sum range to the criteria range's size
            static_refs(args[0], out)
            static_refs(args[1], out)
            out.append(("widen", args[2], args[0]))
            return out
        for a in args:
            static_refs(a, out)
    elif kind in ("op", "neg", "pct", "pos"):
        for a in _children(node):
            static_refs(a, out)
    elif kind == "range":                  # A1:INDEX(C1:C9,3) can read any cell of A1:C9
        box, other = [], []
        for end in node[1:]:
            _range_end(end, box, other)
        out.append(("span", box))
        out.extend(other)
    return out


WIDENED = ("SUMIF", "AVERAGEIF")


def _plain_ref(node) -> bool:
    return node[0] in ("ref", "line")


def _range_end(node, box, other):
    """The references of one end of a range: those that bound the box it spans (a cell, or INDEX's
    range) into ``box``; those it only reads (INDEX's row and column: C3 in A1:INDEX(A1:A6,C3))
    into ``other``, so a running total ``SUM($A$1:INDEX($A$1:$A$6,C3))`` in B3 is not circular."""
    if node[0] == "call" and node[1] == "INDEX" and node[2]:
        _range_end(node[2][0], box, other)
        for a in node[2][1:]:
            static_refs(a, other)
    elif node[0] == "range":
        for end in node[1:]:
            _range_end(end, box, other)
    else:
        static_refs(node, box)


def _children(node) -> tuple:
    """The operand trees directly under ``node`` (a call's arguments, an operator's operands)."""
    kind = node[0]
    if kind == "call":
        return tuple(node[2])
    if kind in ("op", "range"):
        return (node[-2], node[-1])
    if kind in ("neg", "pct", "pos"):
        return (node[1],)
    return ()


def functions_in(node, out=None) -> set:
    if out is None:
        out = set()
    if node[0] == "call":
        out.add(node[1])
    for a in _children(node):
        functions_in(a, out)
    return out


# -- evaluation -----------------------------------------------------------------------------------

class Engine:
    """The values of one workbook and what the formulas need to read them.

    ``cells``: SHEET -> {(row, col): value} (constants, then each formula's value once computed);
    ``extent``: SHEET -> (last row, last column) used, bounding whole-column references."""

    BIG = 64                    # ranges of at least this many cells are read once and kept

    def __init__(self, cells: dict, extent: dict):
        self.cells, self.extent = cells, extent
        self._grids: dict = {}
        self.lookups: dict = {}             # per range and kind of lookup: its index (sheet_functions)
        self.current = None                 # the cell being evaluated, "Sheet!A1"
        self.refused: dict = {}             # SHEET -> how many refused cells it holds

    def grid(self, ref: Ref) -> list:
        """The values of a range, rows of cells (blank None); a refused cell in it raises its
        ``Refusal``."""
        key = ref.key
        got = self._grids.get(key)
        if got is not None:
            g, bad = got
        else:
            cells = self.cells.get(ref.sheet, {})
            get = cells.get
            cols = range(ref.c0, ref.c1 + 1)
            g = [[get((r, c)) for c in cols] for r in range(ref.r0, ref.r1 + 1)]
            bad = None
            if self.refused.get(ref.sheet):
                bad = next((v for row in g for v in row if type(v) is Refused), None)
            if (ref.r1 - ref.r0 + 1) * (ref.c1 - ref.c0 + 1) >= self.BIG:
                self._grids[key] = (g, bad)
        if bad is not None:
            raise bad.refusal()
        return g

    def cell(self, sheet, r, c):
        """One cell's value; a refused cell raises its ``Refusal``."""
        v = self.cells.get(sheet, {}).get((r, c))
        if type(v) is Refused:
            raise v.refusal()
        return v

    def refuse_cell(self, sheet, r, c, refused: Refused):
        self.cells.setdefault(sheet, {})[(r, c)] = refused
        self.refused[sheet] = self.refused.get(sheet, 0) + 1

    def value(self, x):
        """A reference as its value: one cell's value, or an array; other values unchanged."""
        if type(x) is Ref:
            if x.r0 == x.r1 and x.c0 == x.c1:
                v = self.cells.get(x.sheet, {}).get((x.r0, x.c0))
                if type(v) is Refused:
                    raise v.refusal()
                return v
            return Arr(self.grid(x))
        if type(x) is Arr and len(x.rows) == 1 and len(x.rows[0]) == 1:
            return x.rows[0][0]
        return x

    def line(self, sheet, r0, c0, r1, c1) -> Ref:
        rows, cols = self.extent.get(sheet, (1, 1))
        return Ref(sheet, r0, c0, max(r0, rows) if r1 is None else r1, max(c0, cols) if c1 is None else c1)


def _ref_at(sheet, a, b):
    if b is None:
        def one(refs):
            r, c = refs[a]
            return Ref(sheet, r, c, r, c)
        return one

    def area(refs):
        (r0, c0), (r1, c1) = refs[a], refs[b]
        return Ref(sheet, min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1))
    return area


IMPLICIT_INTERSECTION = ("a range where one value is expected (Excel's implicit intersection) is not evaluated by "
                         "recalc: write it inside SUMPRODUCT, or enter the formula as an array formula")


def _one_value(f):
    """``f``, refusing a range of more than one cell: in a formula that is not an array formula,
    Excel takes the cell of the range in the formula's own row or column there (=A1:A9*2); recalc
    does not."""
    def guarded(refs):
        v = f(refs)
        if type(v) is Ref and (v.r0 != v.r1 or v.c0 != v.c1):
            raise Refusal(IMPLICIT_INTERSECTION)
        return v
    return guarded


_MAY_BE_A_RANGE = ("ref", "line", "range", "call")


def compile_node(node, ev: Engine, functions: dict, lazy: dict, ctx: str = "cell"):
    """A closure ``f(refs) -> value`` computing ``node``; ``refs`` are the cell's slot cells.

    ``ctx``: "cell" in an ordinary formula, "array" in an array formula (ranges in operators are
    computed cell by cell), "sumproduct" inside the arguments of SUMPRODUCT or INDEX's first
    argument, which Excel computes as arrays in an ordinary formula too (but not IF's condition)."""
    def sub(child, inner=ctx, one=False):
        f = compile_node(child, ev, functions, lazy, inner)
        return _one_value(f) if one and child[0] in _MAY_BE_A_RANGE else f

    kind = node[0]
    if kind in ("num", "str", "bool"):
        v = node[1]
        return lambda refs: v
    if kind == "err":
        code, reason = node[1], node[2] if len(node) > 2 else None
        return lambda refs: XlError(code, reason)
    if kind == "missing":
        return lambda refs: MISSING
    if kind == "array":
        arr = Arr([list(r) for r in node[1]])
        return lambda refs: arr
    if kind == "ref":
        return _ref_at(node[1], node[2], node[3])
    if kind == "line":
        _, sheet, r0, c0, r1, c1 = node
        return lambda refs: ev.line(sheet, r0, c0, r1, c1)
    if kind == "range":
        left, right = sub(node[1]), sub(node[2])

        def span(refs):
            a, b = left(refs), right(refs)
            for x in (a, b):
                if type(x) is XlError:
                    return x
            if type(a) is not Ref or type(b) is not Ref or b.sheet != a.sheet:
                return XlError("#VALUE!", "#VALUE!: a range must end in a reference")
            return Ref(a.sheet, min(a.r0, b.r0), min(a.c0, b.c0), max(a.r1, b.r1), max(a.c1, b.c1))
        return span
    if kind == "call":
        name, args = node[1], node[2]
        if name in lazy:
            fn = lazy[name]
            # IF, IFERROR and CHOOSE inside SUMPRODUCT (or INDEX's array) of an ordinary formula
            # take one value of a range, as in a cell: Excel computes them cell by cell only in an
            # array formula (=SUMPRODUCT(IF(A1:A4>2,B1:B4,0)) needs Ctrl+Shift+Enter before Excel 365)
            inner = "cell" if ctx == "sumproduct" else ctx
            compiled = [sub(a, inner, one=(i == 0 and inner != "array")) for i, a in enumerate(args)]
            return lambda refs: fn(ev, refs, compiled)
        fn = functions[name]
        if name == "SUMPRODUCT" or name == "INDEX":
            inner = "array" if ctx == "array" else "sumproduct"
            compiled = [sub(a, inner if (name == "SUMPRODUCT" or i == 0) else ctx) for i, a in enumerate(args)]
        else:
            one = ctx == "cell" and getattr(fn, "lifted", False)
            compiled = [sub(a, one=one) for a in args]
        if len(compiled) == 1:
            (a0,) = compiled
            return lambda refs: fn(ev, a0(refs))
        if len(compiled) == 2:
            a0, a1 = compiled
            return lambda refs: fn(ev, a0(refs), a1(refs))
        return lambda refs: fn(ev, *[a(refs) for a in compiled])
    if kind in ("neg", "pos", "pct"):
        inner = sub(node[1], one=ctx == "cell")
        op = functions["#" + kind]
        return lambda refs: op(ev, inner(refs))
    if kind == "op":
        left, right = sub(node[2], one=ctx == "cell"), sub(node[3], one=ctx == "cell")
        op = functions[node[1]]
        return lambda refs: op(ev, left(refs), right(refs))
    raise FormulaError(f"the engine cannot read this formula ({kind})")


def evaluation_order(formula_cells: list, owner: dict, columns: dict, extent: dict, areas_of):
    """Formula cells ordered so that each comes after every formula cell it reads, and the
    circular references found: (order, [cycle, ...]) where a cycle is a list of cells.

    ``formula_cells``: the cell keys (SHEET, row, col) of formulas; ``owner``: every cell a
    formula fills (a spill area's cells too) -> its formula cell; ``columns``: SHEET -> {col:
    sorted rows of owned cells}; ``areas_of(cell)``: the (sheet, r0, c0, r1, c1) it references.
    Iterative (an explicit stack), so a chain of 100,000 cells is no deeper than one."""
    from bisect import bisect_left, bisect_right

    range_deps: dict = {}

    def deps(node):
        if len(node) == 6:
            got = range_deps.get(node)
            if got is None:
                _, sheet, r0, c0, r1, c1 = node
                got = []
                seen = set()
                for col, rows in columns.get(sheet, {}).items():
                    if c0 <= col <= c1:
                        for r in rows[bisect_left(rows, r0):bisect_right(rows, r1)]:
                            o = owner[(sheet, r, col)]
                            if o not in seen:
                                seen.add(o)
                                got.append(o)
                range_deps[node] = got
            return got
        out = []
        for sheet, r0, c0, r1, c1 in areas_of(node):
            if r0 == r1 and c0 == c1:
                o = owner.get((sheet, r0, c0))
                if o is not None:
                    out.append(o)
            else:
                out.append(("R", sheet, r0, c0, r1, c1))
        return out

    state: dict = {}
    order, cycles = [], []
    for start in formula_cells:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(deps(start)))]
        while stack:
            node, it = stack[-1]
            for d in it:
                s = state.get(d)
                if s is None:
                    state[d] = 1
                    stack.append((d, iter(deps(d))))
                    break
                if s == 1:                                  # back to a cell still open: a cycle
                    at = next(i for i, (n, _) in enumerate(stack) if n == d)
                    cycles.append([n for n, _ in stack[at:] if len(n) == 3])
            else:
                stack.pop()
                state[node] = 2
                if len(node) == 3:
                    order.append(node)
    return order, cycles
