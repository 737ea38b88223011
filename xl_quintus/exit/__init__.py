"""Exit analysis over the charter engine: the payout of every class as a function of the exit
value (breakpoints, the exact election map, payouts for one value or a column of values)."""
