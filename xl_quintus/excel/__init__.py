"""The Excel layer: xlwings custom functions over the charter engine.

``cells`` knows Excel's values (blanks, errors, dates); ``arguments`` reads Excel-shaped inputs
into records and words every message; ``functions`` holds the Q-functions. This package
re-exports every Q-function, so ``UDF Modules = xl_quintus.excel`` keeps working.
"""

from .functions import *  # noqa: F401,F403
from .functions import __all__  # noqa: F401
