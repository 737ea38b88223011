"""The Quintus charter (Restated Certificate of Incorporation, 1999) as an exact engine.

One module per part of Article IV: ``terms`` (IV.A, IV.B terms as data), ``cap_table``,
``dividends`` (Section 1), ``liquidation`` (Section 2), ``election`` (3(a) choices),
``conversion`` (3(a)-(c), (f), (h), (i), Section 7), ``anti_dilution`` (3(d)), ``voting``
(Sections 4, 5), ``approvals`` (Section 6 and other consents). The engine knows nothing of Excel.
"""
