"""xlwings Lite runs the functions in Pyodide, which ships numpy and xlwings: importing the
custom functions module may load no other third-party module."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
before = set(sys.modules)
{imports}
third = sorted({{m.split('.')[0] for m in set(sys.modules) - before}}
               - set(sys.stdlib_module_names) - {{'xl_quintus'}})
print(json.dumps(third))
"""


def third_party(imports: str) -> set:
    done = subprocess.run([sys.executable, "-c", PROBE.format(imports=imports)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "XLWINGS_LICENSE_KEY": "noncommercial"})
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_custom_functions_import_only_numpy_and_xlwings():
    baseline = third_party("import numpy, xlwings")          # xlwings' own imports (cryptography ...)
    loaded = third_party("import xl_quintus.custom_functions")
    assert {"numpy", "xlwings"} <= loaded
    assert loaded - baseline == set(), f"beyond numpy and xlwings: {sorted(loaded - baseline)}"
