"""What the families and the consumers above them share, below both: the tolerances and verify
rows (``testing``), the data types of the audit, the switch and the benchmarks, the few-bit mode,
and small helpers (the runtime log, tables, progress)."""
