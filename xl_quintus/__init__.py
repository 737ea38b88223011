"""xl-quintus: the Quintus Corporation charter (Restated Certificate of Incorporation, 1999)
as an exact engine and as Excel functions.

Engine modules follow the charter: ``terms`` (IV.A, IV.B terms as data), ``cap_table``,
``liquidation`` (Section 2), ``election`` (3(a) conversion choices), ``exit_model``
(breakpoints and sweeps over exit values). ``inputs`` and ``excel`` are the Excel layer;
``reports`` shapes tables; ``cli`` is the command line.
"""

__version__ = "0.1.0"
