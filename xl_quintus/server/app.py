"""xlwings Server's ASGI app, as ``xl-quintus serve`` runs it: ``uvicorn xl_quintus.server.app:app``.

It is xlwings Server's own app (``xlwings_server.main``: its routes, manifest, task pane,
authentication, CORS) with one guard in front of ``POST .../xlwings/custom-functions-call``:

- A body xlwings could not read (not JSON, no ``func_name``, an unknown function, arguments
  that are not 2-D ranges, too many arguments) is answered ``400`` with one line. Unguarded,
  xlwings Server answers those ``500 An error occurred.``, which the add-in retries.
- An Excel error in an argument cell (``{"type": "Error", ...}``, which Office.js passes because
  the metadata allows errors) reaches the functions as its text (``#N/A``), which every
  argument reader rejects by name. Unguarded, xlwings turns it into a blank cell: a ``#N/A``
  exit value would silently give a blank payout, a ``#N/A`` share count a skipped row.
- A body with no usable date format (Excel before ExcelApi 1.12 sends ``null``; xlwings drops
  a localized pattern it cannot translate) gets ``yyyy-mm-dd``, so dates come back as dates,
  not bare serial numbers. Set ``XLWINGS_DATE_FORMAT`` to choose one format for everybody.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys

os.environ["XLWINGS_ON_SERVER"] = "true"    # before xlwings is imported (xlwings_server.config does the same)

# xlwings checks every argument cell for Pyodide's JsNull with ``from pyodide.ffi import JsNull``
# (xlwings.utils.is_jsnull, udfs_officejs.js_to_none). Outside Pyodide that import fails, and a
# failed import is not remembered: each cell costs a search of every sys.path entry (~0.7 ms)
# under the import lock, so a 50-row cap table spent ~100 ms there and threads queued on the
# lock. On this server (CPython, no Pyodide) both answers are fixed: nothing is a JsNull. So
# ``None`` in sys.modules (Python's "no such module") makes the import fail at once, and the two
# checks are given their outside-Pyodide answers directly.
_NO_PYODIDE = "pyodide" not in sys.modules and importlib.util.find_spec("pyodide") is None
if _NO_PYODIDE:
    sys.modules["pyodide"] = None

import xlwings.conversion.standard  # noqa: E402
import xlwings.pro.udfs_officejs  # noqa: E402
import xlwings.utils  # noqa: E402
from xlwings.pro.udfs_officejs import date_format_language_map  # noqa: E402
from xlwings_server import databases as _databases  # noqa: E402
from xlwings_server import main as _server  # noqa: E402


def _never_jsnull(value) -> bool:
    return False


def _as_is(arg):
    return arg


if _NO_PYODIDE:
    for _module, _name, _fast in ((xlwings.utils, "is_jsnull", _never_jsnull),
                                  (xlwings.conversion.standard, "is_jsnull", _never_jsnull),
                                  (xlwings.pro.udfs_officejs, "js_to_none", _as_is)):
        if hasattr(_module, _name):
            setattr(_module, _name, _fast)

logger = logging.getLogger(__name__)

CALL_PATH = "/xlwings/custom-functions-call"
MAX_BODY = 32 * 1024 * 1024          # bytes; a 1,000,000-cell range is well below
FALLBACK_DATE_FORMAT = "yyyy-mm-dd"

# Office.js error types (CellValueType Error) and the text Excel shows.
ERROR_TEXT = {"Div0": "#DIV/0!", "NotAvailable": "#N/A", "Name": "#NAME?", "Null": "#NULL!", "Num": "#NUM!",
              "Ref": "#REF!", "Value": "#VALUE!", "Spill": "#SPILL!", "Calc": "#CALC!", "Busy": "#BUSY!",
              "GettingData": "#GETTING_DATA", "Field": "#FIELD!", "Connect": "#CONNECT!", "Blocked": "#BLOCKED!",
              "Unknown": "#UNKNOWN!"}


class BadCall(Exception):
    """A custom-functions-call body that cannot be run (one line)."""


def _functions_module():
    from xlwings_server.routers import xlwings as router

    return router.custom_functions


def _registered(name):
    fn = getattr(_functions_module(), name, None) if isinstance(name, str) else None
    return fn if fn is not None and hasattr(fn, "__xlfunc__") else None


def _cell(value, where: str):
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        kind = value.get("type")
        if kind == "Error":
            text = value.get("basicValue")
            return text if isinstance(text, str) and text.startswith("#") else ERROR_TEXT.get(value.get("errorType"), "#VALUE!")
        if "basicValue" in value and isinstance(value["basicValue"], (str, bool, int, float, type(None))):
            return value                        # FormattedNumber, Double, String ...: xlwings reads basicValue
        raise BadCall(f"{where}: a cell of type {str(kind)[:40]!r} is not supported (no basic value)")
    raise BadCall(f"{where}: a cell must be a number, text, TRUE/FALSE or blank, not a JSON {type(value).__name__}")


def _argument(value, where: str):
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        raise BadCall(f"{where}: must be a range (a list of rows) or null")
    width = len(value[0])
    if not width or any(len(r) != width for r in value):
        raise BadCall(f"{where}: the rows of a range must be non-empty and of one length")
    return [[_cell(c, f"{where} row {i + 1}") for c in r] for i, r in enumerate(value)]


def _date_format(data) -> str:
    fmt = data.get("date_format")
    if not isinstance(fmt, str) or not fmt.strip():
        return FALLBACK_DATE_FORMAT
    if any(c not in "dmy" for c in fmt.lower() if c.isalpha()):     # as xlwings' convert() decides
        locale = data.get("culture_info_name")
        if not isinstance(locale, str) or (locale.lower() not in date_format_language_map
                                           and locale.split("-")[0].lower() not in date_format_language_map):
            return FALLBACK_DATE_FORMAT
    return fmt


def check_call(data) -> dict:
    """The body, ready for xlwings; :class:`BadCall` with one line if it cannot be run."""
    if not isinstance(data, dict):
        raise BadCall("the body must be a JSON object")
    name = data.get("func_name")
    fn = _registered(name)
    if fn is None:
        shown = repr(name[:60]) if isinstance(name, str) else "given" if name is None else f"(a JSON {type(name).__name__})"
        raise BadCall(f"func_name: no function {shown} on this server")
    args = data.get("args")
    if not isinstance(args, list):
        raise BadCall(f"{name}: args must be a list of the function's arguments")
    params = fn.__xlfunc__["args"]
    if any(p.get("vararg") for p in params):
        raise BadCall(f"{name}: functions with a variable number of arguments are not checked here")
    if len(args) > len(params):
        raise BadCall(f"{name}: takes at most {len(params)} arguments, got {len(args)}")
    shaped = [_argument(a, f"{name}: {p['name']}") for a, p in zip(args, params)]
    for key in ("client", "version", "runtime"):
        if not isinstance(data.get(key), str):
            raise BadCall(f"{name}: the body has no {key} (the add-in always sends one)")
    try:
        float(data["runtime"])
    except ValueError:
        raise BadCall(f"{name}: runtime {data['runtime'][:20]!r} is not a version like 1.4") from None
    for key in ("caller_address", "culture_info_name", "session_id"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise BadCall(f"{name}: {key} must be text or null")
    return dict(data, args=shaped, date_format=_date_format(data))


class CallGuard:
    """ASGI middleware: checks custom-functions-call bodies before xlwings reads them."""

    def __init__(self, app, path: str = CALL_PATH):
        self.app = app
        self.path = path

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith(self.path):
            return await self.app(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                return await _reply(send, 413, f"the request body is larger than {MAX_BODY // (1024 * 1024)} MB")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        try:
            data = check_call(json.loads(b"".join(chunks)))
        except (ValueError, RecursionError):       # JSONDecodeError, bad UTF-8
            return await _reply(send, 400, "the request body is not JSON")
        except BadCall as e:
            logger.warning("custom-functions-call refused: %s", str(e).replace("\n", " "))
            return await _reply(send, 400, str(e))
        body = json.dumps(data).encode()
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        return await self.app(dict(scope, headers=headers), replay, send)


async def _reply(send, status: int, text: str):
    body = text.replace("\r", " ").replace("\n", " ").encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# Inside xlwings Server's CORS middleware, so refusals carry the same CORS headers as answers.
_server.app.add_middleware(CallGuard)


# Without an object cache (XLWINGS_OBJECT_CACHE_URL unset; the Q-functions return no object
# handles) xlwings Server's Redis dependency yields None, but as a plain generator FastAPI runs
# it in its thread pool: two thread hand-offs per call, which queue behind busy threads under
# load. The same None, from an async dependency (FastAPI's documented dependency_overrides).
async def _no_redis_client():
    yield None


if _databases.redis_pool is None:
    _server.app.dependency_overrides[_databases.get_redis_client] = _no_redis_client
app = _server.main_app
