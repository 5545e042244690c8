"""Throughput benchmarks for openbadge_ctq (issue 9: Data Integrity at thousands per second, single core).

Run ``python -m bench`` (``--quick`` for a smoke run that never fails on speed, ``--json`` for machine output).
Each target prints our figure, the pyld-only baseline measured in the same run where one applies, the ratio,
and the goal. Results and the machine they were measured on are recorded in ``docs/performance.md``.
"""
