"""The baseline for the GET benchmark: a bare aiohttp server answering every GET with a small JSON body,
served the way the sandbox serves (HTTPS on 127.0.0.1, a trustme certificate made by sandbox.tls, one
process, one asyncio loop). No routing, no auth, no storage: what the framework alone costs. `--framework tornado`
serves the same with tornado (which Jupyter already installs), to show why the sandbox uses aiohttp.

    python benchmarks/hello_server.py --workdir DIR [--framework aiohttp|tornado]   # writes DIR/ca.crt, then DIR/url"""
from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from aiohttp import web

from sandbox import tls


async def hello(request: web.Request) -> web.Response:
    return web.json_response({"hello": "world"})


async def start_aiohttp(ssl_context) -> tuple[int, object]:
    app = web.Application()
    app.router.add_get("/{tail:.*}", hello)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    return runner.addresses[0][1], runner.cleanup


async def start_tornado(ssl_context) -> tuple[int, object]:
    import tornado.httpserver
    import tornado.netutil
    import tornado.web

    class Hello(tornado.web.RequestHandler):
        def get(self, _path):
            self.write({"hello": "world"})  # tornado sends a dict as JSON

    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/(.*)", Hello)]), ssl_options=ssl_context)
    server.add_sockets(sockets)

    async def cleanup():
        server.stop()
    return sockets[0].getsockname()[1], cleanup


async def serve(workdir: Path, framework: str) -> None:
    files = tls.generate()
    (workdir / "ca.crt").write_bytes(files.ca_pem)
    start = start_tornado if framework == "tornado" else start_aiohttp
    port, cleanup = await start(files.server_context(workdir / "tls"))
    tmp = workdir / "url.tmp"
    tmp.write_text(f"https://127.0.0.1:{port}")
    tmp.replace(workdir / "url")  # a reader never sees half a URL
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--framework", choices=("aiohttp", "tornado"), default="aiohttp")
    args = parser.parse_args()
    asyncio.run(serve(args.workdir, args.framework))


if __name__ == "__main__":
    main()
