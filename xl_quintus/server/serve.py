"""``xl-quintus serve``: xlwings Server with every Q-function, from a project folder it makes.

    xl-quintus serve [--host 127.0.0.1] [--port 8000] [--project xl-quintus-server]
                     [--terms-dir DIR] [--workers 1] [--ssl-keyfile K --ssl-certfile C]

Excel sideloads the add-in from ``http(s)://HOST:PORT/manifest``. Localhost only unless
``--host`` says otherwise.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

from . import NAMESPACE, TERMS_DIR_ENV

DEFAULT_PROJECT = "xl-quintus-server"
LICENSE_HELP = ('xlwings Server needs XLWINGS_LICENSE_KEY: your xlwings license key, or "noncommercial" for '
                "noncommercial use under the PolyForm Noncommercial License (environment, or .env in the project folder)")


def add_parser(sub) -> None:
    s = sub.add_parser("serve", help="run xlwings Server with every Q-function (Excel on Windows, Mac and the web)")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for every network)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument("--project", default=DEFAULT_PROJECT,
                   help=f"xlwings Server project folder, made if missing (default ./{DEFAULT_PROJECT})")
    s.add_argument("--terms-dir", help="the only folder terms files are read from (default: terms/ in the project folder)")
    s.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    s.add_argument("--ssl-keyfile", help="TLS key (default: certs/localhost+2-key.pem in the project folder, if there)")
    s.add_argument("--ssl-certfile", help="TLS certificate (default: certs/localhost+2.pem in the project folder, if there)")
    s.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fail(message: str) -> int:
    print(f"xl-quintus serve: {message}", file=sys.stderr)
    return 2


def serve(args) -> int:
    from .project import ProjectError, ensure_project

    from importlib.util import find_spec

    if find_spec("xlwings_server") is None or find_spec("uvicorn") is None:   # not imported yet: see below
        return _fail('xlwings Server is not installed: pip install "xl-quintus[server]"')
    if not 0 < args.port < 65536:
        return _fail(f"--port {args.port} is not a port number (1-65535)")
    if args.workers < 1:
        return _fail(f"--workers {args.workers} must be 1 or more")
    if bool(args.ssl_keyfile) != bool(args.ssl_certfile):
        return _fail("give both --ssl-keyfile and --ssl-certfile, or neither")

    project = Path(args.project).resolve()
    try:
        written = ensure_project(project)
    except (ProjectError, OSError) as e:
        return _fail(str(e))
    terms_dir = Path(args.terms_dir).resolve() if args.terms_dir else project / "terms"
    if not args.terms_dir:
        terms_dir.mkdir(exist_ok=True)
    if not terms_dir.is_dir():
        return _fail(f"--terms-dir {terms_dir} is not a folder")

    # xlwings Server reads these when it is imported (in this process and in each worker).
    os.environ["XLWINGS_PROJECT_DIR"] = str(project)
    os.environ[TERMS_DIR_ENV] = str(terms_dir)
    os.environ["XLWINGS_ON_SERVER"] = "true"
    if args.workers > 1:
        # Socket.IO (streaming functions, task pane hot reload) needs one process or a message
        # queue; the Q-functions use neither.
        os.environ.setdefault("XLWINGS_ENABLE_SOCKETIO", "false")
    from xlwings_server.config import settings      # reads .env / pyproject.toml in the project folder

    if not os.environ.get("XLWINGS_LICENSE_KEY"):
        return _fail(LICENSE_HELP)
    if "custom" in (settings.auth_providers or []):
        custom = project / "auth" / "custom" / "__init__.py"
        if not custom.is_file() or '"test-token"' in custom.read_text(encoding="utf-8", errors="replace"):
            return _fail(f'the "custom" auth provider is still xlwings\' placeholder (it accepts the token "test-token"): '
                         f"run `xlwings-server add auth custom` in {project} and write validate_token in {custom}")

    keyfile, certfile = args.ssl_keyfile, args.ssl_certfile
    if not keyfile and (project / "certs" / "localhost+2.pem").is_file():
        keyfile, certfile = project / "certs" / "localhost+2-key.pem", project / "certs" / "localhost+2.pem"
    scheme = "https" if keyfile else "http"
    shown_host = f"[{args.host}]" if ":" in args.host else args.host

    for path in written:
        print(f"wrote {project / path}")
    print(f"xlwings Server project folder: {project}")
    print(f"terms files only from: {terms_dir}")
    ns = (settings.functions_namespace or "").upper()
    print(f"functions: ={ns + '.' if ns else ''}QWATERFALL(...) and every other Q-function"
          + ("" if ns == NAMESPACE else f" (xl-quintus's own namespace is {NAMESPACE})"))
    print(f"manifest for Excel to sideload: {scheme}://{shown_host}:{args.port}{settings.app_path}/manifest")
    if not settings.auth_providers:
        if _loopback(args.host):
            print("authentication: off (XLWINGS_AUTH_PROVIDERS is not set); this machine only")
        else:
            print(f"WARNING: listening on {args.host} without authentication: anyone who can reach port "
                  f"{args.port} can call the functions. Set XLWINGS_AUTH_PROVIDERS (README: xlwings Server).")
    else:
        print(f"authentication: {', '.join(settings.auth_providers)}")
    if scheme == "http":
        print("note: Excel loads Office.js add-ins only over HTTPS: put a TLS proxy in front, or give "
              "--ssl-keyfile/--ssl-certfile (e.g. made with mkcert)")
    sys.stdout.flush()

    import uvicorn

    uvicorn.run("xl_quintus.server.app:app", host=args.host, port=args.port, workers=args.workers,
                log_level=args.log_level, ssl_keyfile=str(keyfile) if keyfile else None,
                ssl_certfile=str(certfile) if certfile else None, timeout_graceful_shutdown=5)
    return 0
