"""Load generator: C concurrent keep-alive clients on one asyncio loop POST JSON, each with a token.

    python -m bench.enrollment_support.loadgen --url http://127.0.0.1:8123/api/v1/enrollment/applications/ \\
        --plan submit.json --clients 16 --warmup 5 --duration 30 [--offset 0] [--max-requests N] [--reuse] \\
        [--client raw|httpx]

Runs in its own process, so that its event loop shares no interpreter with the servers. Every request takes
the next entry of the plan (``{"token", "body"}``): one distinct family, hence one distinct child, per
request. Without ``--reuse`` the run ends early when the plan runs out (``ran_out`` is then true); with it
the plan is cycled (for an endpoint where repeating a body is harmless). Requests started during the
warm-up are not counted; then requests are started for ``--duration`` seconds (or until ``--max-requests``)
and every one of them is awaited. Prints one JSON object: throughput, latency percentiles (ms), status
counts, and the generator's own CPU time per request.

Two HTTP clients, the same requests:

- ``raw`` (default): HTTP/1.1 written and read on asyncio streams, one connection per client, requests
  encoded before the clock starts. About 0.25 ms of CPU per request.
- ``httpx``: one ``httpx.AsyncClient`` per client. About 2.8 ms of CPU per request on the benchmark
  machine — on two cores that takes a third of the machine away from the server at the ceiling's rate and
  understates the ceiling, so it is the option, not the default.
"""

import argparse
import asyncio
import json
import math
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


class RawConnection:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closes it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, request: bytes) -> int:
        for attempt in (1, 2):  # a kept-alive connection the server has just closed: once more, afresh
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(request)
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionResetError("closed by the server")
                length, close = 0, False
                while True:
                    line = await self.reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"connection" and value.strip().lower() == b"close":
                        close = True
                    elif name == b"transfer-encoding":
                        raise RuntimeError("chunked answers are not expected from these endpoints")
                await self.reader.readexactly(length)
                if close:
                    await self.close()
                return int(status_line.split()[1])
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


def raw_request(url, token: str, body: bytes) -> bytes:
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
        f"Authorization: Token {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def load(args) -> dict:
    plan = json.loads(Path(args.plan).read_text(encoding="utf-8"))
    url = urlsplit(args.url)
    bodies = [json.dumps(e["body"], ensure_ascii=False).encode() for e in plan]
    requests = [raw_request(url, e["token"], b) for e, b in zip(plan, bodies, strict=True)]
    samples: list[tuple[float, float, int]] = []  # (start, latency s, status) of measured requests
    state = {"next": args.offset, "warmup": 0, "ran_out": False}
    stop = asyncio.Event()

    def take() -> int | None:
        n = state["next"]
        state["next"] += 1
        if n >= len(plan):
            if not args.reuse:
                state["ran_out"] = True
                stop.set()
                return None
            n %= len(plan)
        return n

    if args.client == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        clients = [httpx.AsyncClient(limits=limits, timeout=args.timeout) for _ in range(args.clients)]

        def sender(k):
            client = clients[k]

            async def send(n: int) -> int:
                response = await client.post(
                    args.url,
                    content=bodies[n],
                    headers={
                        "Authorization": f"Token {plan[n]['token']}",
                        "Content-Type": "application/json",
                    },
                )
                return response.status_code

            return send
    else:
        connections = [RawConnection(url.hostname, url.port or 80) for _ in range(args.clients)]

        def sender(k):
            connection = connections[k]

            async def send(n: int) -> int:
                return await asyncio.wait_for(connection.post(requests[n]), args.timeout)

            return send

    cpu0, started = time.process_time(), time.monotonic()
    measure_from = started + args.warmup
    measure_until = measure_from + args.duration

    async def one_client(k: int) -> None:
        send = sender(k)
        while not stop.is_set() and time.monotonic() < measure_until:
            n = take()
            if n is None:
                return
            t0 = time.monotonic()
            try:
                status = await send(n)
            except Exception:  # noqa: BLE001 - no answer (reset, timeout): an error, as a client sees it
                status = 0
            if t0 >= measure_from:
                samples.append((t0, time.monotonic() - t0, status))
                if args.max_requests and len(samples) >= args.max_requests:
                    stop.set()
            else:
                state["warmup"] += 1

    try:
        await asyncio.gather(*(one_client(k) for k in range(args.clients)))
    finally:
        if args.client == "httpx":
            for client in clients:
                await client.aclose()
        else:
            for connection in connections:
                await connection.close()
    cpu = time.process_time() - cpu0

    latencies = sorted(s[1] * 1000 for s in samples)
    statuses = Counter(s[2] for s in samples)
    last_end = max((s[0] + s[1] for s in samples), default=measure_from)
    window = max(min(measure_until, last_end) - measure_from, 1e-9)
    completed_in_window = sum(1 for s in samples if s[0] + s[1] <= measure_until)
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)

    def ms(p):
        return round(percentile(latencies, p), 1) if latencies else None

    return {
        "url": args.url,
        "client": args.client,
        "clients": args.clients,
        "warmup_s": args.warmup,
        "warmup_requests": state["warmup"],
        "duration_s": round(window, 2),
        "requests": len(samples),
        "ok": ok,
        "errors": len(samples) - ok,
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "req_per_s": round(completed_in_window / window, 1),
        "p50_ms": ms(50),
        "p95_ms": ms(95),
        "p99_ms": ms(99),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "mean_ms": round(sum(latencies) / len(latencies), 1) if latencies else None,
        "client_cpu_ms_per_request": round(1000 * cpu / max(1, len(samples) + state["warmup"]), 2),
        "plan_entries_used": min(state["next"], len(plan)) - args.offset,
        "ran_out": state["ran_out"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=0)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(load(args))), flush=True)


if __name__ == "__main__":
    main()
