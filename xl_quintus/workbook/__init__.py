"""Workbook tooling beside the engine: the generated sample deal model (``builder``) and the
headless recalculation of saved workbooks (``recalc``)."""
