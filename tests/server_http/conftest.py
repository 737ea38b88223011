"""One real xlwings Server (``xl-quintus serve``) for the whole test session, on a free
loopback port, in its own process group; always stopped at the end."""

import shutil
from importlib.util import find_spec
from pathlib import Path

import pytest

from xl_quintus.server.client import RunningServer

# Not imported here: importing xlwings_server sets XLWINGS_ON_SERVER for this whole process.
if find_spec("xlwings_server") is None:
    pytest.skip('needs xlwings-server: pip install ".[test]" brings it', allow_module_level=True)

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xlwings-server")
    terms = folder / "terms"
    terms.mkdir()
    shutil.copy(DATA / "three_series.toml", terms / "three_series.toml")
    with RunningServer(folder, terms_dir=terms) as running:
        running.terms_dir = terms
        yield running
