"""Calls to xlwings Server as Excel makes them, for tests and benchmarks (standard library only).

``body()`` builds a ``custom-functions-call`` request body the way the add-in's
``custom-functions-code.js`` (shipped in the xlwings-server wheel) builds it in ``base()``:
``client``, ``func_name``, ``args`` (each argument as Office.js passes a matrix parameter: a
list of rows; an omitted optional argument ``null``; a blank cell ``null``), ``caller_address``
(``[Workbook]Sheet!A1``), ``session_id``, ``culture_info_name`` and ``date_format`` (Excel's
short date pattern, ``null`` before ExcelApi 1.12), ``version`` (the server's xlwings version,
substituted into the script it serves) and ``runtime`` (the CustomFunctionsRuntime set).

``reply()`` is what xlwings Server answers for a value a function returns (its ``officejs``
conversion): a scalar as a 1x1 matrix, ``None`` as a blank (``""``), a date as a
``FormattedNumber`` with the date format (runtime 1.4) or its serial number (older runtimes).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
import uuid
from importlib.metadata import version as _version

EPOCH = dt.date(1899, 12, 30)          # Excel's 1900 date system, as xlwings counts it
SESSION_ID = uuid.uuid4().hex


def serial(d: dt.date) -> int:
    return (d - EPOCH).days


def excel_cell(value, dates: str = "serial"):
    """One cell as Office.js passes it: a date cell as its serial number (``dates="serial"``)
    or as a FormattedNumber object (``dates="formatted"``)."""
    if isinstance(value, dt.date):
        n = serial(value)
        return n if dates == "serial" else {"type": "FormattedNumber", "basicValue": n, "numberFormat": "m/d/yyyy"}
    return value


def excel_arg(value, dates: str = "serial"):
    """One argument as Office.js passes a matrix parameter."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        return [[excel_cell(value, dates)]]
    rows = [list(r) for r in value] if value and all(isinstance(r, (list, tuple)) for r in value) else [list(value)]
    width = max(len(r) for r in rows)
    return [[excel_cell(c, dates) for c in r] + [None] * (width - len(r)) for r in rows]


def body(func_name: str, *args, workbook: str = "Deal.xlsx", address: str | None = "Sheet1!A1",
         culture: str | None = "en-US", date_format: str | None = "M/d/yyyy", runtime: str = "1.4",
         dates: str = "serial") -> dict:
    return {
        "client": "Office.js",
        "func_name": func_name,
        "args": [excel_arg(a, dates) for a in args],
        "caller_address": f"[{workbook}]{address}" if address else None,
        "session_id": SESSION_ID,
        "culture_info_name": culture,
        "date_format": date_format,
        "version": _version("xlwings"),
        "runtime": runtime,
    }


def reply_cell(value, date_format: str | None = "M/d/yyyy", runtime: str = "1.4"):
    if value is None:
        return ""
    if isinstance(value, dt.date):
        n = serial(value)
        return n if float(runtime) < 1.4 or date_format is None else {
            "type": "FormattedNumber", "basicValue": n, "numberFormat": date_format}
    return value


def reply(value, date_format: str | None = "M/d/yyyy", runtime: str = "1.4"):
    """The ``result`` xlwings Server sends for ``value``."""
    if not isinstance(value, (list, tuple)):
        return [[reply_cell(value, date_format, runtime)]]
    rows = [list(r) for r in value] if value and all(isinstance(r, (list, tuple)) for r in value) else [list(value)]
    return [[reply_cell(c, date_format, runtime) for c in r] for r in rows]


class Answer:
    def __init__(self, status: int, text: str, content_type: str):
        self.status, self.text, self.content_type = status, text, content_type

    def json(self):
        return json.loads(self.text)


def post(url: str, payload, timeout: float = 60, headers: dict | None = None, raw: bytes | None = None) -> Answer:
    data = raw if raw is not None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return Answer(r.status, r.read().decode(), r.headers.get("content-type", ""))
    except urllib.error.HTTPError as e:
        return Answer(e.code, e.read().decode(), e.headers.get("content-type", ""))


def get(url: str, timeout: float = 60) -> Answer:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return Answer(r.status, r.read().decode(), r.headers.get("content-type", ""))
    except urllib.error.HTTPError as e:
        return Answer(e.code, e.read().decode(), e.headers.get("content-type", ""))


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServerFailed(RuntimeError):
    pass


def _end_with_parent():
    """In the server process before it starts (Linux): SIGTERM when the process that started
    it dies, so a test run killed outright (CI timeout, SIGKILL) leaves no server behind."""
    import signal

    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)      # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class RunningServer:
    """``xl-quintus serve`` in a subprocess on a free loopback port (its own process group):
    ``with RunningServer(folder) as server: post(server.url + "/xlwings/...")``. Waits at most
    ``ready_timeout`` seconds for ``GET /``; on exit the whole process group is ended (SIGTERM,
    then SIGKILL after ``stop_timeout`` seconds)."""

    def __init__(self, folder, *, workers: int = 1, env: dict | None = None, terms_dir=None,
                 ready_timeout: float = 60, stop_timeout: float = 10, python: str | None = None):
        import sys
        from pathlib import Path

        self.folder = Path(folder)
        self.workers, self.extra_env, self.terms_dir = workers, env or {}, terms_dir
        self.ready_timeout, self.stop_timeout = ready_timeout, stop_timeout
        self.python = python or sys.executable
        self.proc = None
        self.port = None
        self.log_path = self.folder / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self) -> "RunningServer":
        import os
        import subprocess
        import time
        from pathlib import Path

        root = Path(__file__).resolve().parents[2]
        env = dict(os.environ)
        env.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
        env["PYTHONPATH"] = os.pathsep.join([str(root)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env.update(self.extra_env)
        self.port = free_port()
        cmd = [self.python, "-m", "xl_quintus", "serve", "--host", "127.0.0.1", "--port", str(self.port),
               "--project", str(self.folder / "project"), "--workers", str(self.workers), "--log-level", "warning"]
        if self.terms_dir is not None:
            cmd += ["--terms-dir", str(self.terms_dir)]
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         preexec_fn=_end_with_parent)
        deadline = time.monotonic() + self.ready_timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerFailed(f"xl-quintus serve exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise ServerFailed(f"xl-quintus serve not ready after {self.ready_timeout} s:\n{self.log()}")
            time.sleep(0.05)

    def stop(self) -> None:
        import os
        import signal
        import subprocess

        if self.proc is None:
            return
        for sig, wait in ((signal.SIGTERM, self.stop_timeout), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        try:                                   # workers left in the group, if any
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc = None

    def pid(self) -> int:
        return self.proc.pid

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
