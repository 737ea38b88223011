"""xl-quintus: the Quintus Corporation charter (Restated Certificate of Incorporation, 1999)
as an exact engine and as Excel functions.

``charter`` is the engine, one module per part of Article IV (``charter.CLAUSES`` maps every
Article and Section to the functions applying it); ``exit`` is exit analysis over it (payouts
as functions of the exit value, breakpoints, sweeps, the cached model factory); ``excel`` is
the Excel layer (``cells``, ``arguments``, ``functions``); ``tables`` shapes engine results
into rows for Excel and the command line (``cli``); ``workbook`` builds and recalculates the
sample deal model. ``numbers`` holds every exact conversion and rounding, ``errors`` the
engine's one error type.
"""

__version__ = "0.1.0"
