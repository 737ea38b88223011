"""Every exposed function has a page in udf_docs/, and every example there computes."""

import inspect
import re
from pathlib import Path

import pytest

import xl_quintus.excel as excel
from xl_quintus.charter.terms import quintus

DOCS = Path(__file__).parent.parent / "udf_docs"
FUNCTIONS = [n for n, f in inspect.getmembers(excel, inspect.isfunction) if n.startswith("Q") and n.isupper()]
CAP_TABLE = [["Class", "Shares"]] + [[s.name, s.authorized] for s in quintus().series] + [["Common", 12_000_000]]
# The same with the charter's B and C warrants (3(d)(ii)(I)-(J)) as options and warrants rows.
WARRANTS = ([["Holder", "Class", "Shares", "Exercise Price"]] + [[None, c, n, None] for c, n in CAP_TABLE[1:]]
            + [["Warrant B", "B", 192_262, 1.43], ["Warrant C", "C", 55_340, 1.91]])


def examples():
    for page in sorted(DOCS.glob("Q*.md")):
        block = re.search(r"```examples\n(.*?)```", page.read_text(), re.S)
        assert block, f"{page.name} has no examples block"
        for line in block.group(1).strip().splitlines():
            formula, expected = line.split(" => ")
            yield pytest.param(formula, expected, id=f"{page.stem}: {formula[:50]}")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_has_a_page(name):
    assert (DOCS / f"{name}.md").is_file()


@pytest.mark.parametrize("formula, expected", list(examples()))
def test_examples_compute(formula, expected):
    namespace = {n: getattr(excel, n) for n in FUNCTIONS} | {"CapTable": CAP_TABLE, "CapTableWarrants": WARRANTS}
    assert eval(formula, namespace) == eval(expected)
