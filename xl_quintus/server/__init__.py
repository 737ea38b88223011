"""The Q-functions on xlwings Server (``pip install "xl-quintus[server]"``, ``xl-quintus serve``).

xlwings Server (the ``xlwings-server`` package: FastAPI + uvicorn) serves an Office.js add-in
whose custom functions call Python over HTTP, in Excel on Windows, Mac and the web with no
Python on the laptop. It finds its functions in a *project folder*: ``custom_functions/`` (a
package it imports as ``custom_functions``), ``custom_scripts/``, and settings in ``.env`` or
``pyproject.toml`` (``[tool.xlwings_server]``) there or in ``XLWINGS_...`` environment
variables; ``XLWINGS_PROJECT_DIR`` names the folder.

- ``project``   makes (or finds) that folder, wired to :mod:`xl_quintus.server.functions`.
- ``functions`` the Q-functions as the server registers them (run off the event loop).
- ``app``       xlwings Server's ASGI app with a guard on ``custom-functions-call`` bodies.
- ``client``    request bodies built as the add-in's ``custom-functions-code.js`` builds them,
                and the reply xlwings Server sends for a value (tests and benchmarks).
- ``serve``     the ``xl-quintus serve`` command.

Nothing here is imported by ``xl_quintus.excel`` or by xlwings Lite.
"""

# The Excel namespace of the functions in the add-in: =QUINTUS.QWATERFALL(...).
NAMESPACE = "QUINTUS"

# Environment variable naming the folder terms files may come from on the server.
TERMS_DIR_ENV = "XL_QUINTUS_TERMS_DIR"
