"""Workbook tooling beside the engine: the generated sample deal model (``builder``) and the
headless recalculation of saved workbooks (``recalc``)."""


class WorkbookError(Exception):
    """A workbook that cannot be read, calculated or written: one line saying why.

    ``code`` is the command's exit code (README "Exit codes"). Defined here, apart from
    ``recalc``, so the command line can catch it without importing the Excel layer."""

    def __init__(self, message: str, code: int = 3):
        super().__init__(message)
        self.code = code
