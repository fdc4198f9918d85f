"""The baseline for the GET benchmark: a bare aiohttp server answering every GET with a small JSON body,
served the way the sandbox serves (HTTPS on 127.0.0.1, a trustme certificate made by sandbox.tls, one
process, one asyncio loop). No routing, no auth, no storage: what the framework alone costs.

    python benchmarks/hello_server.py --workdir DIR   # writes DIR/ca.crt, then DIR/url once listening"""
from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from aiohttp import web

from sandbox import tls


async def hello(request: web.Request) -> web.Response:
    return web.json_response({"hello": "world"})


async def serve(workdir: Path) -> None:
    files = tls.generate()
    (workdir / "ca.crt").write_bytes(files.ca_pem)
    app = web.Application()
    app.router.add_get("/{tail:.*}", hello)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=files.server_context(workdir / "tls"))
    await site.start()
    tmp = workdir / "url.tmp"
    tmp.write_text(f"https://127.0.0.1:{runner.addresses[0][1]}")
    tmp.replace(workdir / "url")  # a reader never sees half a URL
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    asyncio.run(serve(parser.parse_args().workdir))


if __name__ == "__main__":
    main()
