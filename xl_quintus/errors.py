"""The engine's one error type.

Every rule the engine enforces raises :class:`CharterError` with a one-line message that
names the value and the rule it breaks, and says which charter term it concerns (``term``:
"Conversion Price", "cap table", "proceeds" ...) and where the charter states the rule
(``clause``). The engine knows nothing of Excel: the Excel layer maps a term to the argument
of the Q-function that carries it (``xl_quintus.excel.functions.excel_errors``, the one
place), and its own readers name the argument and cell directly (``argument``).
"""

from __future__ import annotations


class CharterError(ValueError):
    """Input that the charter (or the product's reading of it) does not allow.

    Attributes:
        message: one line: the value, and the clause or rule it breaks.
        argument: the Excel argument it came from (``cap_table row 3``), set only by the
            Excel layer.
        term: the charter term the value is (``"Conversion Price"``, ``"proceeds"``), set
            by the engine.
        clause: where the charter states the rule (``"IV.B.3(a)"``), when one does.
        row: the 1-based row of the input (an event, a holding) it came from, if any.
    """

    def __init__(self, message: str, argument: str | None = None, *, term: str | None = None,
                 clause: str | None = None, row: int | None = None):
        if clause and clause not in message:
            message = f"{message} (charter {clause})"
        super().__init__(message)
        self.message = message
        self.argument = argument
        self.term = term
        self.clause = clause
        self.row = row

    def where(self) -> str | None:
        """The argument, else the term (with its row), the message is about."""
        if self.argument:
            return self.argument
        if self.term and self.row is not None:
            return f"{self.term} row {self.row}"
        return self.term

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message
