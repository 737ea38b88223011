"""Run tests/server in its own pytest process with xlwings in server mode."""

import os
import re
import subprocess
import sys
from pathlib import Path


def test_xlwings_conversion_path_in_a_separate_process():
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    root = Path(__file__).parent.parent
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-o", "addopts=", str(root / "tests" / "server")],
                          env=env, cwd=root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "skipped" not in done.stdout, done.stdout
    found = re.search(r"fuzz \(xlwings path\): ([\d,]+) generated calls", done.stdout)
    assert found, done.stdout
    SERVER_FUZZ["count"] = int(found.group(1).replace(",", ""))


SERVER_FUZZ = {"count": 0}
