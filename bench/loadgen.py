"""Load generators: Debian's ``wrk`` (preferred), or a small asyncio one when wrk is missing.

Both run a *plan*, a list of ``Step(tag, path, tokens_file, offset)``: requests take the steps
in turn, over keep-alive connections to 127.0.0.1, for a fixed time. A step with a token file
sends ``Authorization: Bearer`` with the file's tokens in order from ``offset`` (so a run can
continue where the previous one stopped); a tag > 0 is sent as ``X-Bench-Scenario``. Both
return ``{"requests", "seconds", "p50_ms", "p99_ms", "status_errors", "socket_errors",
"cpu_s"}``, where ``status_errors`` counts responses with status >= 400 and ``cpu_s`` is the
CPU time the generator itself used (its share of the two cores is reported).
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
from typing import NamedTuple

WRK_SCRIPT = Path(__file__).with_name("wrk.lua")


class Step(NamedTuple):
    tag: int
    path: str
    tokens_file: object = None
    offset: int = 0
    scheme: str = "Bearer"
    proofs_file: object = None  # one DPoP proof per line, each sent once in a DPoP header


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

    def run(self, port, plan, seconds, connections, workdir):
        plan_file = Path(workdir) / "plan.tsv"
        plan_file.write_text("".join(f"{s.tag}\t{s.path}\t{s.tokens_file or '-'}\t{s.offset}\t"
                                     f"{s.scheme}\t{s.proofs_file or '-'}\n" for s in plan))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        command = [self.binary, "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--timeout",
                   "5s", "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}", "--", str(plan_file)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30,
                              check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        summary["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return summary


class PythonLoad:
    """An asyncio HTTP/1.1 keep-alive client: slower than wrk, so figures are lower bounds."""

    name = "python (wrk not found)"

    def run(self, port, plan, seconds, connections, workdir=None):
        steps = [{"tag": s.tag, "path": s.path, "next": s.offset, "scheme": s.scheme,
                  "tokens": Path(s.tokens_file).read_text().split() if s.tokens_file else [],
                  "proofs": Path(s.proofs_file).read_text().split() if s.proofs_file else [],
                  "proof": 0}
                 for s in plan]
        started_cpu = time.process_time()
        summary = asyncio.run(self._run(port, steps, seconds, connections))
        summary["cpu_s"] = time.process_time() - started_cpu
        return summary

    async def _run(self, port, steps, seconds, connections):
        state = {"turn": 0, "latencies": [], "status_errors": 0, "socket_errors": 0}
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        await asyncio.gather(*(self._connection(port, steps, state, deadline)
                               for _ in range(connections)))
        elapsed = time.monotonic() - started
        latencies = sorted(state["latencies"]) or [0.0]
        return {"requests": len(state["latencies"]), "seconds": elapsed,
                "p50_ms": statistics.median(latencies) * 1000,
                "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
                "status_errors": state["status_errors"], "socket_errors": state["socket_errors"]}

    @staticmethod
    def _request(port, steps, state):
        step = steps[state["turn"] % len(steps)]
        state["turn"] += 1
        request = f"GET {step['path']} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        if step["tag"]:
            request += f"X-Bench-Scenario: {step['tag']}\r\n"
        if step["tokens"]:
            token = step["tokens"][step["next"] % len(step["tokens"])]
            request += f"Authorization: {step['scheme']} {token}\r\n"
            step["next"] += 1
        if step["proofs"]:
            request += f"DPoP: {step['proofs'][step['proof'] % len(step['proofs'])]}\r\n"
            step["proof"] += 1
        return (request + "\r\n").encode()

    async def _connection(self, port, steps, state, deadline):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            state["socket_errors"] += 1
            return
        try:
            while time.monotonic() < deadline:
                sent = time.monotonic()
                writer.write(self._request(port, steps, state))
                status, close = await self._read_response(reader)
                state["latencies"].append(time.monotonic() - sent)
                if status >= 400:
                    state["status_errors"] += 1
                if close:  # gunicorn's sync workers close after each response
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            state["socket_errors"] += 1
        finally:
            writer.close()

    @staticmethod
    async def _read_response(reader):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
        fields = {name.strip().lower(): value.strip() for name, value in fields.items()}
        await reader.readexactly(int(fields["content-length"]))
        return int(lines[0].split()[1]), fields.get("connection", "").lower() == "close"


def load_generator(out=print):
    binary = ensure_wrk(out)
    return Wrk(binary) if binary else PythonLoad()
