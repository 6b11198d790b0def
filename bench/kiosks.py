"""The simulated kiosks of bench/load_submit.py: asyncio clients posting back to back over keep-alive.

Each kiosk speaks HTTP/1.1 by hand (a client library would cost more of the cores it shares with
the server), posts the next submission as soon as the last is answered, and resends an
unacknowledged one under the same UUID, as the real kiosk's offline queue does.
"""
from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field


@dataclass
class Results:
    """Latencies of successful requests inside the measuring window, and what was acknowledged."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    acknowledged: set[str] = field(default_factory=set)
    window: float = 0.0
    completed: int = 0  # every 2xx answer, warm-up included (the divisor of CPU per request)

    def merge(self, other: Results) -> None:
        """Add another phase's figures to these."""
        self.latencies += other.latencies
        self.window += other.window
        self.acknowledged |= other.acknowledged
        self.completed += other.completed
        for key, n in other.errors.items():
            self.errors[key] = self.errors.get(key, 0) + n

    def summary(self) -> dict:
        """Throughput, p50, p99 (ms)."""
        lat = sorted(self.latencies)
        if not lat:
            return {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "n": 0}
        return {"rps": len(lat) / self.window, "p50": 1000 * statistics.median(lat),
                "p99": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))], "n": len(lat)}


async def _exchange(conn, request: bytes) -> tuple[int, bytes, bool]:
    reader, writer = conn
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, close = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            close = True
    body = await reader.readexactly(length) if length else b""
    return status, body, close


UUID_MARK = "00000000-0000-4000-8000-000000000000"  # as long as every UUID the kiosks send


def submission_request(payload_base: dict, credential: str) -> tuple[bytes, bytes]:
    """The kiosk's POST as the bytes before and after its UUID.

    Why: a real kiosk encodes its answers on its own tablet; here the simulated kiosks share the
    server's two cores, so each encodes its (constant) answers once and only the UUID changes.
    """
    body = json.dumps({**payload_base, "uuid": UUID_MARK, "started_at": None}).encode()
    before, after = body.split(UUID_MARK.encode())
    head = (b"POST /kiosk/api/responses HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"X-Device-Credential: " + credential.encode() + b"\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n")
    return head + before, after


async def kiosk(port: int, credential: str, payload_base: dict | None, t_start: float, t_end: float,
                hard_stop: float, res: Results) -> None:
    """One simulated kiosk: post (or ping) back to back; resend an unacknowledged submission."""
    conn = None
    pending = None  # the UUID not yet acknowledged (kept across failures, like the device queue)
    template = submission_request(payload_base, credential) if payload_base is not None else None
    request = b"GET /kiosk/ping HTTP/1.1\r\nHost: bench\r\n\r\n"
    while True:
        now = time.monotonic()
        if (pending is None and now >= t_end) or now >= hard_stop:
            break
        if template is not None and pending is None:
            pending = str(uuid.uuid4())
            request = template[0] + pending.encode() + template[1]
        try:
            if conn is None:
                conn = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
            began = time.monotonic()
            status, _body, close = await asyncio.wait_for(_exchange(conn, request), 30)
            took = time.monotonic() - began
        except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            res.errors["connection"] = res.errors.get("connection", 0) + 1
            if conn:
                conn[1].close()
            conn = None
            await asyncio.sleep(0.05 + random.random() * 0.1)
            continue
        if close:
            conn[1].close()
            conn = None
        if status in (200, 201):
            res.completed += 1
            if pending is not None:
                res.acknowledged.add(pending)
                pending = None
            if t_start <= began and began + took <= t_end:
                res.latencies.append(took)
        else:
            res.errors[str(status)] = res.errors.get(str(status), 0) + 1
            await asyncio.sleep(0.05)
    if conn:
        conn[1].close()


async def run_load(port: int, prep: dict, seconds: float, form: dict | None, on_half=None) -> Results:
    """CLIENTS kiosks for `seconds` (after a 1 s warm-up) pinging, or submitting `form`; `on_half`
    runs (in a thread) half-way."""
    res = Results()
    base = None
    if form:
        base = {"version_id": form["version_id"], "content_hash": form["content_hash"], "answers": form["answers"],
                "other": {}, "language": "vi", "partial": False}
    now = time.monotonic()
    t_start, t_end = now + 1.0, now + 1.0 + seconds
    res.window = seconds
    tasks = [kiosk(port, cred, base, t_start, t_end, t_end + 60, res) for cred in prep["credentials"]]
    if on_half:
        async def trigger():
            await asyncio.sleep(1.0 + seconds / 2)
            await asyncio.get_running_loop().run_in_executor(None, on_half)
        tasks.append(trigger())
    await asyncio.gather(*tasks)
    return res
