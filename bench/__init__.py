"""Benchmarks: ``make bench`` (``python -m bench.run``). See README.md, "Performance"."""
