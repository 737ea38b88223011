"""The engine's one error type.

Every rule the engine enforces raises :class:`CharterError` with a one-line message that
names the value and the clause or rule it breaks. The engine knows nothing of Excel: the
Excel layer (``xl_quintus.excel``) adds the function and argument names and turns it into
the error xlwings shows in the cell.
"""

from __future__ import annotations


class CharterError(ValueError):
    """Input that the charter (or the product's reading of it) does not allow.

    Attributes:
        message: one line: the value, and the clause or rule it breaks.
        argument: the input it came from (``cap_table``, ``conversions`` ...), when known.
    """

    def __init__(self, message: str, argument: str | None = None):
        super().__init__(message)
        self.message = message
        self.argument = argument

    def __str__(self) -> str:
        return f"{self.argument}: {self.message}" if self.argument else self.message
