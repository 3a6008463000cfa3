"""Load generators: Debian's ``wrk`` (preferred), or a small asyncio one when wrk is missing.

Both send ``GET path`` over keep-alive connections to 127.0.0.1 for a fixed time and, when a
token file is given, an ``Authorization: Bearer`` header taken from it in order, starting at
``offset`` (so a run can continue where the previous one stopped). Both return
``{"requests", "seconds", "p50_ms", "p99_ms", "status_errors", "socket_errors", "cpu_s"}``,
where ``status_errors`` counts responses with status >= 400 and ``cpu_s`` is the CPU time the
generator itself used (its share of the two cores is reported).
"""
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import time
from pathlib import Path

WRK_SCRIPT = Path(__file__).with_name("wrk.lua")


def ensure_wrk(out=print):
    """Return the wrk binary, installing Debian's package when possible; None otherwise."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    out("installing wrk with apt-get ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
    for command in (install, ["apt-get", "update", "-qq"], install):
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=300, check=False)
        if shutil.which("wrk"):
            break
    return shutil.which("wrk")


class Wrk:
    name = "wrk"

    def __init__(self, binary):
        self.binary = binary

    def run(self, port, path, tokens_file, offset, seconds, connections):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        command = [self.binary, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
                   "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}", "--", path,
                   str(tokens_file or ""), str(offset)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30,
                              check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        summary["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return summary


class PythonLoad:
    """An asyncio HTTP/1.1 keep-alive client: slower than wrk, so figures are lower bounds."""

    name = "python (wrk not found)"

    def run(self, port, path, tokens_file, offset, seconds, connections):
        tokens = Path(tokens_file).read_text().split() if tokens_file else []
        started_cpu = time.process_time()
        summary = asyncio.run(self._run(port, path, tokens, offset, seconds, connections))
        summary["cpu_s"] = time.process_time() - started_cpu
        return summary

    async def _run(self, port, path, tokens, offset, seconds, connections):
        state = {"next": offset, "latencies": [], "status_errors": 0, "socket_errors": 0}
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        await asyncio.gather(*(self._connection(port, path, tokens, state, deadline)
                               for _ in range(connections)))
        elapsed = time.monotonic() - started
        latencies = sorted(state["latencies"]) or [0.0]
        return {"requests": len(state["latencies"]), "seconds": elapsed,
                "p50_ms": statistics.median(latencies) * 1000,
                "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
                "status_errors": state["status_errors"], "socket_errors": state["socket_errors"]}

    async def _connection(self, port, path, tokens, state, deadline):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            state["socket_errors"] += 1
            return
        try:
            while time.monotonic() < deadline:
                request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                if tokens:
                    request += f"Authorization: Bearer {tokens[state['next'] % len(tokens)]}\r\n"
                    state["next"] += 1
                sent = time.monotonic()
                writer.write((request + "\r\n").encode())
                status = await self._read_response(reader)
                state["latencies"].append(time.monotonic() - sent)
                if status >= 400:
                    state["status_errors"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            state["socket_errors"] += 1
        finally:
            writer.close()

    @staticmethod
    async def _read_response(reader):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(int(line.split(":", 1)[1]) for line in lines
                      if line.lower().startswith("content-length:"))
        await reader.readexactly(length)
        return int(lines[0].split()[1])


def load_generator(out=print):
    binary = ensure_wrk(out)
    return Wrk(binary) if binary else PythonLoad()
