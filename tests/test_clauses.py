"""Every Article and Section of the charter is in ``xl_quintus.charter.CLAUSES``, mapped to
functions that exist or to a one-line reason it is not modelled."""

import re
from pathlib import Path

import pytest

from xl_quintus.charter import CLAUSES, resolve

CHARTER = Path(__file__).resolve().parent / "data" / "quintus-restated-certificate-1999.txt"


def charter_parts() -> list[str]:
    """Articles, the parts of Article IV (A-C), their numbered Sections, the lettered
    sub-clauses of each and the roman ones set as paragraphs (3(b), 3(d), 6(a)), in the order
    of the charter text, read from their headings and indentation."""
    part = section = letter = article = None
    out = []
    for line in CHARTER.read_text().splitlines():
        if m := re.match(r"^ +ARTICLE ([IVX]+)\s*$", line):
            article, part, section, letter = m.group(1), None, None, None
            out.append(f"Article {article}")
        elif article != "IV":
            continue
        elif m := re.match(r"^ {5,18}([ABC])\. [A-Z]", line):
            part, section, letter = m.group(1), None, None
            out.append(f"IV.{part}")
        elif part and (m := re.match(r"^ {9}(\d)\. [A-Z]", line)):
            section, letter = m.group(1), None
            out.append(f"IV.{part}.{section}")
        elif section and (m := re.match(r"^ {18}\(([a-z])\) ", line)):
            letter = m.group(1)
            out.append(f"IV.{part}.{section}({letter})")
        elif letter and (m := re.match(r"^ {27}\(([ivx]+)\) ", line)):
            out.append(f"IV.{part}.{section}({letter})({m.group(1)})")
    return out


def test_the_charter_text_is_read_as_expected():
    parts = charter_parts()
    assert [p for p in parts if p.startswith("Article")] == [f"Article {n}" for n in
                                                              "I II III IV V VI VII VIII IX X".split()]
    assert [p for p in parts if re.fullmatch(r"IV\.B\.\d", p)] == [f"IV.B.{n}" for n in range(1, 8)]
    assert "IV.B.3(i)" in parts and "IV.B.6(a)(v)" in parts and "IV.B.3(d)(iv)" in parts
    assert len(parts) == 61


def test_every_part_of_the_charter_appears_in_charter_order():
    assert list(CLAUSES) == charter_parts()


@pytest.mark.parametrize("clause", list(CLAUSES))
def test_each_clause_names_functions_that_exist_or_says_why_not(clause):
    target = CLAUSES[clause]
    if isinstance(target, str):
        assert target.startswith("not modelled: ") and len(target) > 30 and "\n" not in target
        return
    assert target, clause
    for path in target:
        assert path.startswith("xl_quintus.charter."), path        # the engine applies the charter
        assert callable(resolve(path)), path
