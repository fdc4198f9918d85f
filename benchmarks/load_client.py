"""A closed-loop HTTPS load generator, run as its own process so it does not share a core's loop with the
server it measures: `connections` keep-alive connections, each sending the next GET as soon as the last
answer is read. Counts the answers completed inside the measured window (after a warm-up that also pays for
the TLS handshakes) and prints one JSON line: {"ok": n, "errors": n, "seconds": s, "rps": r, "total": n},
`total` counting every answer, warm-up included (to divide the server's CPU time by).

    LOAD_CLIENT_TOKEN=T python benchmarks/load_client.py URL --ca FILE --connections 8 --seconds 5

The bearer token comes from the environment, not the command line: a random token may begin with "-" (argparse
would read it as an option) and a command line is visible to every user in `ps`."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl

import aiohttp

REQUEST_TIMEOUT = 30.0
TOKEN_VARIABLE = "LOAD_CLIENT_TOKEN"


async def run(url: str, ca: str, token: str, connections: int, seconds: float, warmup: float) -> dict:
    loop = asyncio.get_running_loop()
    context = ssl.create_default_context(cafile=ca)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    counts = {"ok": 0, "errors": 0, "total": 0}
    start = loop.time()
    measure_from, end = start + warmup, start + warmup + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        while loop.time() < end:
            try:
                async with session.get(url) as response:
                    await response.read()
                    ok = response.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            counts["total"] += 1
            if measure_from <= loop.time() <= end:
                counts["ok" if ok else "errors"] += 1

    connector = aiohttp.TCPConnector(limit=connections, ssl=context)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(connections)))
    return {**counts, "seconds": seconds, "rps": counts["ok"] / seconds}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--ca", required=True, help="CA certificate file that signed the server's certificate")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    return parser


def main() -> None:
    parser = build_parser()
    args = parser.parse_args()
    if not args.url.startswith("https://127.0.0.1:"):
        parser.error("the load client only talks to https://127.0.0.1")
    token = os.environ.get(TOKEN_VARIABLE, "")
    result = asyncio.run(run(args.url, args.ca, token, args.connections, args.seconds, args.warmup))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
