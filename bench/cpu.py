"""CPU time and context switches per request, read from /proc, for bench/load_submit.py.

Why: on the shared 2-core machine, throughput is CPU-bound, and the ratio to the no-op ceiling
is the ratio of what one request costs in all (server, database and the simulated kiosks). Each
phase therefore also reports where its CPU went, and how often the server's threads went to sleep
and were woken (voluntary context switches): on this virtual machine a wake-up costs tens of
microseconds of kernel time.

"database" is every PostgreSQL process on the machine (run the benchmark on a quiet server), and
the divisor is the requests answered 2xx (the phases report their non-2xx answers, normally none).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

TICK = os.sysconf("SC_CLK_TCK")
PARTS = ("server", "database", "client")


def _read(pid: str) -> tuple[float, int, int] | None:
    """(CPU seconds, voluntary switches, involuntary switches) of a process and all its threads."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
        fields = stat[stat.rfind(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        vol = invol = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/status") as fh:
                for line in fh:
                    if line.startswith("voluntary_ctxt_switches"):
                        vol += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        invol += int(line.split()[1])
        return cpu, vol, invol
    except (OSError, IndexError, ValueError):  # the process ended meanwhile
        return None


def _part(pid: str, server_group: int) -> str | None:
    if pid == str(os.getpid()):
        return "client"
    try:
        if os.getpgid(int(pid)) == server_group:
            return "server"
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            program = fh.read().split(b"\0")[0]
        # backends show "postgres: ..." as their title; the postmaster its path, ".../bin/postgres"
        return "database" if program.startswith(b"postgres") or program.endswith(b"/postgres") else None
    except OSError:
        return None


def snapshot(server_group: int) -> dict[str, list[float]]:
    """Totals so far for the server's process group, PostgreSQL's processes and this client."""
    out = {part: [0.0, 0, 0] for part in PARTS}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        part = _part(pid, server_group)
        figures = _read(pid) if part else None
        if figures:
            for i, value in enumerate(figures):
                out[part][i] += value
    return out


@dataclass
class Usage:
    """CPU and switches accumulated over the phases of one kind, and the requests they served."""

    totals: dict[str, list[float]] = field(default_factory=lambda: {part: [0.0, 0, 0] for part in PARTS})
    requests: int = 0

    def add(self, before: dict, after: dict, requests: int) -> None:
        """Add one phase: the snapshots around it and how many requests it completed."""
        for part in PARTS:
            for i in range(3):
                self.totals[part][i] += after[part][i] - before[part][i]
        self.requests += requests

    def line(self) -> str:
        """CPU ms per request by part, and the server's voluntary switches per request."""
        n = max(1, self.requests)
        cpu = ", ".join(f"{part} {1000 * self.totals[part][0] / n:.2f}" for part in PARTS)
        return (f"CPU ms per request: {cpu} (all {1000 * sum(t[0] for t in self.totals.values()) / n:.2f}); "
                f"server sleeps per request {self.totals['server'][1] / n:.1f}")
