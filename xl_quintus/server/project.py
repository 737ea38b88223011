"""The xlwings Server project folder ``xl-quintus serve`` runs from: made if missing, found
(and left as it is) if present.

xlwings Server imports ``custom_functions`` and ``custom_scripts`` from the folder named by
``XLWINGS_PROJECT_DIR`` and reads its settings from ``XLWINGS_...`` environment variables, a
``.env`` file and ``[tool.xlwings_server]`` in ``pyproject.toml`` there (in that order).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from . import NAMESPACE

MARK = "# written by xl-quintus serve"

FUNCTIONS_INIT = f'''{MARK}: the Q-functions of xl-quintus, registered by xlwings Server.
# Add your own functions below this line if you like; keep the import.
from xl_quintus.server.functions import *  # noqa: F401,F403
'''

SCRIPTS_INIT = f"""{MARK}: xl-quintus has no custom scripts (task pane buttons).
"""

ENVIRONMENTS = ("dev", "qa", "uat", "staging", "prod")


def pyproject_text() -> str:
    """Settings xlwings Server reads from ``[tool.xlwings_server]``: the add-in's name, the
    functions' namespace, and manifest IDs of its own (Excel tells add-ins apart by this ID;
    xlwings Server's defaults are shared by every installation)."""
    ids = "\n".join(f'manifest_id_{env} = "{uuid.uuid4()}"' for env in ENVIRONMENTS)
    return (f"{MARK}. Settings here are overridden by a .env file and by XLWINGS_... variables.\n"
            "[tool.xlwings_server]\n"
            'project_name = "xl-quintus"\n'
            f'functions_namespace = "{NAMESPACE}"\n'
            f"{ids}\n")


class ProjectError(Exception):
    """A project folder the command cannot use (one line)."""


def ensure_project(folder: Path) -> list[str]:
    """Make the project folder's missing parts; return what was written. An existing
    ``custom_functions/__init__.py`` must import ``xl_quintus.server.functions``."""
    folder = Path(folder)
    written = []
    wanted = {
        folder / "custom_functions" / "__init__.py": FUNCTIONS_INIT,
        folder / "custom_scripts" / "__init__.py": SCRIPTS_INIT,
        folder / "pyproject.toml": None,
    }
    for path, text in wanted.items():
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(pyproject_text() if text is None else text, encoding="utf-8")
        written.append(str(path.relative_to(folder)))
    functions = (folder / "custom_functions" / "__init__.py").read_text(encoding="utf-8")
    if "xl_quintus.server.functions" not in functions:
        raise ProjectError(f"{folder / 'custom_functions' / '__init__.py'} does not import xl_quintus.server.functions; "
                           "add `from xl_quintus.server.functions import *` or use another --project folder")
    return written
