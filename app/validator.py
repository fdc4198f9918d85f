"""The validator sidecar (container `orders-validator`): the business rule for orders, reached on localhost.

    GET /api/orders/validation?amount=N   200 {valid: true} or 400 {valid: false, reason: "..."}
    GET /healthz, /readyz

Run it with `python -m app.validator`; ORDER_LIMIT sets the largest allowed amount (100 by default).
"""
from __future__ import annotations

import sys

from aiohttp import web

from . import config, logs, orders
from .web import LOG_KEY, application, serve

LIMIT = web.AppKey("limit", float)


async def validate(request: web.Request) -> web.Response:
    limit = request.app[LIMIT]
    try:
        amount = orders.parse_amount_text(request.query.get("amount"))
    except orders.OrderError as error:
        reason = str(error)
    else:
        reason = orders.limit_violation(amount, limit)
    if reason:
        request.app[LOG_KEY].info("order.invalid", amount=request.query.get("amount"), reason=reason)
        return web.json_response({"valid": False, "reason": reason}, status=400)
    return web.json_response({"valid": True})


def build(cfg: config.ValidatorConfig, log: logs.EventLog) -> web.Application:
    app = application(log)
    limit = cfg.order_limit
    app[LIMIT] = int(limit) if limit.is_integer() else limit  # 100, not 100.0, in reasons
    app.router.add_get("/api/orders/validation", validate)
    return app


def main() -> int:
    try:
        cfg = config.validator()
    except config.ConfigError as error:
        logs.setup("validator").error("config.invalid", error=str(error))
        return 2
    log = logs.setup("validator", cfg.log_level)
    log.info("validator.starting", orderLimit=cfg.order_limit)
    return serve(build(cfg, log), log, host=cfg.bind_address, port=cfg.port)


if __name__ == "__main__":
    sys.exit(main())
