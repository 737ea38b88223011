"""The sample deal model for the xlwings Server add-in (Office.js custom functions).

In the add-in the functions live in the namespace its manifest declares (``QUINTUS``, see
:data:`xl_quintus.server.NAMESPACE`): a banker types ``=QUINTUS.QWATERFALL(...)``. Excel does not
save that text. In the sheet XML a call to an Office.js custom function is stored as
``_xldudf_`` + namespace + ``_`` + function name: ``_xldudf_QUINTUS_QWATERFALL(...)``. When the
workbook opens and the add-in loads, Excel matches those names against the add-in's function
metadata and shows ``=QUINTUS.QWATERFALL(...)`` again; without the add-in the cells keep their last
saved values and the formula bar shows the ``_xldudf_`` name. (A namespace with an environment, as
xlwings Server gives outside ``prod``, is ``QUINTUS_DEV``: ``_xldudf_QUINTUS_DEV_QWATERFALL``.)

Classic xlwings stores the same call as a plain ``QWATERFALL(...)`` (a VBA function of the
workbook). :func:`server_variant` turns the classic model into the add-in's: every Q-function
call renamed, everything else (values, layout, spill metadata, charts) byte for byte as it was.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from . import NAMESPACE

SERVER_MODEL_NAME = "quintus-deal-model-server.xlsx"
PREFIX = "_xldudf_"


def stored_name(function: str, namespace: str = NAMESPACE) -> str:
    """How a saved file names ``=NAMESPACE.FUNCTION``: ``_xldudf_NAMESPACE_FUNCTION``."""
    return f"{PREFIX}{namespace.upper()}_{function.upper()}"


def _q_functions() -> tuple[str, ...]:
    import inspect

    from ..excel import functions

    return tuple(n for n in functions.__all__ if inspect.isfunction(getattr(functions, n)))


def to_officejs(formula: str, functions=None, namespace: str = NAMESPACE) -> str:
    """``formula`` with each call of one of ``functions`` (default: every Q-function) stored as
    the add-in's; text inside double-quoted strings and sheet names in single quotes is left alone."""
    names = {f.upper() for f in (functions or _q_functions())}
    call = re.compile(r"(?<![A-Za-z0-9_.!\\])([A-Za-z_][A-Za-z0-9_.]*)(?=\()")
    out, i = [], 0
    for m in re.finditer(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'', formula):
        out.append(call.sub(lambda c: stored_name(c.group(1), namespace) if c.group(1).upper() in names
                            else c.group(1), formula[i:m.start()]))
        out.append(m.group(0))
        i = m.end()
    out.append(call.sub(lambda c: stored_name(c.group(1), namespace) if c.group(1).upper() in names
                        else c.group(1), formula[i:]))
    return "".join(out)


_FORMULA = re.compile(rb"(<f(?:\s[^>]*)?>)([^<]*)(</f>)")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def server_variant(source: Path, target: Path, namespace: str = NAMESPACE) -> int:
    """Write ``target``: ``source`` with every Q-function call in its formulas stored as the
    add-in's. Returns the number of formulas changed. Deterministic: same input, same bytes."""
    functions = _q_functions()
    changed = 0

    def rewrite(m: re.Match) -> bytes:
        nonlocal changed
        text = _unescape(m.group(2).decode("utf-8"))
        new = to_officejs(text, functions, namespace)
        if new == text:
            return m.group(0)
        changed += 1
        return m.group(1) + _escape(new).encode("utf-8") + m.group(3)

    tmp = Path(target).with_name(Path(target).name + ".tmp")
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(tmp, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/sheet") and info.filename.endswith(".xml"):
                data = _FORMULA.sub(rewrite, data)
            zout.writestr(info, data)
    tmp.replace(target)
    return changed
