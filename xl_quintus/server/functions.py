"""The Q-functions as xlwings Server registers them (the project's ``custom_functions``
package imports everything from here).

Two differences from ``xl_quintus.excel`` (which classic xlwings and xlwings Lite use):

- **Off the event loop.** xlwings Server calls a plain (sync) custom function directly inside
  its async request handler, so while one QWATERFALL computes, the server's one event loop
  answers nothing else: every other call, the manifest and the health check wait in line.
  Here each function is an ``async`` wrapper that runs the same function in a worker thread,
  so a long call no longer holds up the rest. (Python threads share one core for pure-Python
  work; for more throughput run several processes: ``xl-quintus serve --workers N``.)
- **Terms files from one folder.** A ``terms`` argument naming a TOML file is read only from
  the server's terms folder (``XL_QUINTUS_TERMS_DIR``, set by ``xl-quintus serve``; default
  ``terms/`` in the xlwings Server project folder); a path outside it is refused in one line.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import TERMS_DIR_ENV
from ..excel import arguments
from ..excel import functions as _functions
from ..excel.functions import QuintusExcelError  # noqa: F401  (the error type the server maps to HTTP 400)


def terms_folder() -> Path:
    """The folder terms files may come from on this server."""
    folder = os.environ.get(TERMS_DIR_ENV)
    if folder:
        return Path(folder)
    return Path(os.environ.get("XLWINGS_PROJECT_DIR") or Path.cwd()) / "terms"


arguments.TERMS_FOLDER = terms_folder()


# Few threads: Python runs one of them at a time, so more would only contend for the GIL;
# two keep the event loop free and a short call from waiting behind one long one.
THREADS = max(1, int(os.environ.get("XL_QUINTUS_THREADS", "2")))
_EXECUTOR = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="xl-quintus")


def _off_the_loop(fn):
    """``fn`` as an async function that runs in a worker thread; xlwings' metadata
    (``__xlfunc__``: arguments, help, return options) and the signature carry over."""

    @functools.wraps(fn)
    async def call(*args):
        return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, functools.partial(fn, *args))

    return call


__all__ = [name for name in _functions.__all__ if inspect.isfunction(getattr(_functions, name))]

# XL_QUINTUS_INLINE_CALLS=1 registers the plain functions (xlwings Server's own behaviour): the
# baseline benchmarks/bench_server.py measures the threads against.
_inline = os.environ.get("XL_QUINTUS_INLINE_CALLS") == "1"
for _name in __all__:
    globals()[_name] = getattr(_functions, _name) if _inline else _off_the_loop(getattr(_functions, _name))
del _name
