"""The orders API (container `orders-api`): takes orders, asks the validator sidecar, queues them in Redis.

    POST /api/orders                    {amount, customerName, productId} -> 201 {confirmationId, status: "queued"}
    GET  /api/{customer}/orders/{id}    the processed order from the cache Redis (404 until the worker is done)
    GET  /healthz, /readyz              liveness (the process answers) and readiness (both Redises answer PING)

Run it with `python -m app.api`; configuration in app/config.py and app/README.md.
"""
from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timezone

import aiohttp
from aiohttp import web

from . import config, logs, orders
from .confirmations import Confirmations
from .redis_client import RedisError, connect, unavailable
from .web import LOG_KEY, application, json_error, serve
from .work_queue import WorkQueue

CONFIG = web.AppKey("config", config.ApiConfig)
QUEUE = web.AppKey("queue", WorkQueue)
CACHE = web.AppKey("cache", Confirmations)
HTTP = web.AppKey("http", aiohttp.ClientSession)


class ValidatorProblem(Exception):
    """The validator could not give an answer: (status, message) for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


async def ask_validator(request: web.Request, amount) -> str | None:
    """None when the validator accepts the amount, else its reason; ValidatorProblem when it cannot say."""
    cfg = request.app[CONFIG]
    url = f"{cfg.validator_url}/api/orders/validation"
    try:
        async with request.app[HTTP].get(url, params={"amount": orders.format_amount(amount)}) as response:
            status = response.status
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        raise ValidatorProblem(503, f"validator at {cfg.validator_url} is unavailable: "
                                    f"{str(error) or type(error).__name__}") from None
    except ValueError:
        raise ValidatorProblem(502, f"validator at {cfg.validator_url} answered {status} without JSON") from None
    if status == 200 and isinstance(body, dict) and body.get("valid") is True:
        return None
    if status == 400 and isinstance(body, dict) and body.get("valid") is False:
        return str(body.get("reason") or "rejected by the validator")
    raise ValidatorProblem(502, f"validator at {cfg.validator_url} answered {status}: {body}")


async def create_order(request: web.Request) -> web.Response:
    log, cfg = request.app[LOG_KEY], request.app[CONFIG]
    try:
        payload = await request.json(loads=_strict_json)
    except ValueError as error:  # JSONDecodeError, bad UTF-8, or an empty body
        return json_error(400, f"the body is not valid JSON: {error}")
    try:
        order = orders.parse_order(payload, confirmation_id=orders.new_confirmation_id(), queued_at=_now())
    except orders.OrderError as error:
        return json_error(400, str(error))
    try:
        reason = await ask_validator(request, order.amount)
    except ValidatorProblem as problem:
        log.error("validator.unavailable", error=str(problem))
        return json_error(problem.status, str(problem))
    if reason:
        log.info("order.rejected", customerName=order.customerName, amount=order.amount, reason=reason)
        return json_error(400, reason)
    try:
        await request.app[QUEUE].push(order.to_message())
    except RedisError as error:
        message = unavailable("queue", cfg.queue_redis_url, error)
        log.error("redis.unavailable", role="queue", error=message)
        return json_error(503, message)
    log.info("order.queued", confirmationId=order.confirmationId, customerName=order.customerName,
             productId=order.productId, amount=order.amount)
    location = request.app.router["order"].url_for(customer=order.customerName, id=order.confirmationId)
    return web.json_response({"confirmationId": order.confirmationId, "status": "queued"}, status=201,
                             headers={"Location": str(location)})


async def get_order(request: web.Request) -> web.Response:
    customer, confirmation_id = request.match_info["customer"], request.match_info["id"]
    not_found = f"no processed order {confirmation_id} for customer {customer!r} (not processed yet, or unknown)"
    if not orders.is_confirmation_id(confirmation_id):
        return json_error(404, not_found)
    try:
        confirmation = await request.app[CACHE].get(confirmation_id)
    except RedisError as error:
        message = unavailable("cache", request.app[CONFIG].cache_redis_url, error)
        request.app[LOG_KEY].error("redis.unavailable", role="cache", error=message)
        return json_error(503, message)
    # Another customer's id is as unknown as a made-up one: no way to probe for other people's orders.
    if confirmation is None or confirmation.get("customerName") != customer:
        return json_error(404, not_found)
    return web.json_response(confirmation)


async def index(_: web.Request) -> web.Response:
    return web.json_response({
        "service": "containo orders API",
        "endpoints": ["POST /api/orders", "GET /api/{customer}/orders/{confirmationId}", "GET /healthz",
                      "GET /readyz"],
    })


def _strict_json(text: str):
    """json.loads without NaN/Infinity (not JSON), with a plain word for an empty body."""
    if not text.strip():
        raise ValueError("the body is empty; send a JSON object with amount, customerName and productId")

    def reject(constant: str):
        raise ValueError(f"{constant} is not a JSON value")
    return json.loads(text, parse_constant=reject)


def _now() -> str:
    return logs.timestamp(datetime.now(timezone.utc).timestamp())


def build(cfg: config.ApiConfig, log: logs.EventLog) -> web.Application:
    queue_redis = connect(cfg.queue_redis_url, timeout=cfg.redis_timeout, name="orders-api",
                          password=cfg.redis_password)
    cache_redis = connect(cfg.cache_redis_url, timeout=cfg.redis_timeout, name="orders-api",
                          password=cfg.redis_password)

    async def ready() -> str | None:
        for role, url, client in (("queue", cfg.queue_redis_url, queue_redis),
                                  ("cache", cfg.cache_redis_url, cache_redis)):
            try:
                await client.ping()
            except RedisError as error:
                return unavailable(role, url, error)
        return None

    async def resources(app: web.Application):
        app[HTTP] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=cfg.validator_timeout))
        yield
        await app[HTTP].close()
        await queue_redis.aclose()
        await cache_redis.aclose()

    app = application(log, ready)
    app[CONFIG] = cfg
    app[QUEUE] = WorkQueue(queue_redis, cfg.queue_name)
    app[CACHE] = Confirmations(cache_redis)
    app.cleanup_ctx.append(resources)
    app.router.add_get("/", index)
    app.router.add_post("/api/orders", create_order)
    app.router.add_get("/api/{customer}/orders/{id}", get_order, name="order")
    return app


def main() -> int:
    try:
        cfg = config.api()
    except config.ConfigError as error:
        logs.setup("api").error("config.invalid", error=str(error))
        return 2
    log = logs.setup("api", cfg.log_level)
    log.info("api.starting", validatorUrl=cfg.validator_url, queueRedis=config.redact(cfg.queue_redis_url),
             cacheRedis=config.redact(cfg.cache_redis_url), queueName=cfg.queue_name, **config.password_field(cfg))
    return serve(build(cfg, log), log, host=cfg.bind_address, port=cfg.port)


if __name__ == "__main__":
    sys.exit(main())
