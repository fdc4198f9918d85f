"""How answers leave: JSON (with the Warning headers field validation produced), Status objects for errors. As
the apiserver's JSON serializer (a json.Encoder) writes them, each body ends with a newline."""
from __future__ import annotations

import json

from aiohttp import web

from sandbox.machinery.errors import StatusError
from sandbox.storage.store import dumps

JSON = "application/json"


def status_response(error: StatusError) -> web.Response:
    response = web.Response(status=error.code, body=dumps(error.status()).encode() + b"\n",
                            content_type=JSON)
    retry_after = (error.details or {}).get("retryAfterSeconds")
    if retry_after:  # ErrorNegotiated says it in a header too (a 429 from a budget still being processed)
        response.headers["Retry-After"] = str(retry_after)
    return response


def json_response(obj, status: int = 200, warnings: list[str] | None = None) -> web.Response:
    return raw_response(dumps(obj), status, warnings)


def raw_response(text: str, status: int = 200, warnings: list[str] | None = None) -> web.Response:
    response = web.Response(status=status, body=text.encode() + b"\n", content_type=JSON)
    for warning in warnings or ():
        response.headers.add("Warning", '299 - ' + json.dumps(warning))
    return response
