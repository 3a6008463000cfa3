"""The per-scenario CPU records written by ``wsgi_timing.py`` (no Django import here)."""
import os
import struct

SLOTS = 8
PROBE = 7  # the raw RSA verify probe (wsgi_timing.py), not a Django request
RECORD = struct.Struct("<qd")  # requests, CPU seconds


def read_stats(directory):
    """``{slot: [requests, cpu_seconds]}`` summed over the workers' files."""
    totals = {slot: [0, 0.0] for slot in range(SLOTS)}
    for name in os.listdir(directory):
        if name.startswith("worker-") and name.endswith(".bin"):
            with open(os.path.join(directory, name), "rb") as stats:
                data = stats.read()
            for slot in range(SLOTS):
                count, total = RECORD.unpack_from(data, RECORD.size * slot)
                totals[slot][0] += count
                totals[slot][1] += total
    return totals
