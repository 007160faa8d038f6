"""A small closed-loop HTTP load generator, run in its own process (stdlib only).

    python -m bench.loadgen --port 8000 --bodies bodies.json --concurrency 8 --duration 10

Each of `concurrency` connections (HTTP/1.1 keep-alive) sends one POST /graphql,
waits for the whole answer, and sends the next: the load is bounded by the number
of connections, never by a send rate. Requests are pre-encoded bytes and answers
are read by Content-Length (or chunks), so the client costs a few tens of
microseconds a request and leaves the CPU to the server. Prints one JSON object:
requests, errors, requests/s and latency percentiles of the measured window.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    length, chunked = None, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        parts = []
        while True:
            size = int((await reader.readline()).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            parts.append(await reader.readexactly(size))
            await reader.readline()
        return status, b"".join(parts)
    return status, await reader.readexactly(length or 0)


async def _connection(host: str, port: int, requests: list[bytes], start: int, step: int,
                      warmup_end: float, end: float, samples: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    index = start
    try:
        while True:
            now = time.perf_counter()
            if now >= end:
                return
            request = requests[index % len(requests)]
            index += step
            try:
                writer.write(request)
                status, body = await _read_answer(reader)
                failed = status != 200 or b'"errors"' in body
            except (ConnectionError, asyncio.IncompleteReadError, ValueError):
                failed = True
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            finished = time.perf_counter()
            if now >= warmup_end:
                samples.append(finished - now)
                errors[0] += failed
    finally:
        writer.close()


async def run(host: str, port: int, bodies: list[bytes], concurrency: int, duration: float,
              warmup: float, path: str = "/graphql") -> dict:
    requests = [
        (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
         f"Accept: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        for body in bodies
    ]
    started = time.perf_counter()
    warmup_end, end = started + warmup, started + warmup + duration
    samples: list[float] = []
    errors = [0]
    await asyncio.gather(*(
        _connection(host, port, requests, number, concurrency, warmup_end, end, samples, errors)
        for number in range(concurrency)
    ))
    window = max(1e-9, time.perf_counter() - warmup_end)
    ordered = sorted(samples) or [0.0]

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000

    return {"requests": len(samples), "errors": errors[0], "seconds": window, "rps": len(samples) / window,
            "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99), "concurrency": concurrency}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/graphql")
    parser.add_argument("--bodies", required=True, help="JSON file: a list of request bodies (strings)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args(argv)
    with open(args.bodies, encoding="utf-8") as handle:
        bodies = [body.encode("utf-8") for body in json.load(handle)]
    result = asyncio.run(run(args.host, args.port, bodies, args.concurrency, args.duration, args.warmup, args.path))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
