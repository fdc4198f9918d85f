"""The sandbox's simulation API (/simulation/v1, not a Kubernetes API), and whether the helpers need it.

A sandbox started with the process runtime (the default) runs the app's containers and Redis as local processes:
the helpers send real requests and read real Redis lists there, exactly as on kind. Only a sandbox started with
`--runtime simulated` runs nothing; there the helpers set load and orders in its workload model through this API,
and what they print says "[simulation]". The sandbox itself says which runtime it runs (GET
/simulation/v1/runtime): the helpers never guess it from their own settings.
"""
from __future__ import annotations

from kubernetes.client.exceptions import ApiException

from .cluster import Connection
from .errors import WorkshopError

SIMULATION = "/simulation/v1"


def simulation(conn: Connection, method: str, path: str, body: dict | None = None) -> dict:
    """One call to the sandbox's simulation API (namespaced path); 4xx/5xx raise ApiException with its Status."""
    try:
        return conn.api.request(method, f"{SIMULATION}/namespaces/{path}", body=body)
    except ApiException as exc:
        if exc.status == 404 and "could not find the requested resource" in (exc.body or ""):
            raise WorkshopError("This sandbox does not serve the simulation API (/simulation/v1): restart it "
                                "with a newer workshop (`workshop sandbox stop`, then connect() again).") from None
        raise


def sandbox_time_scale(conn: Connection) -> float | None:
    """The sandbox's simulated seconds per real second, as it reports it (None: a sandbox too old to say)."""
    try:
        return float(conn.api.request("GET", f"{SIMULATION}/clock")["timeScale"])
    except (ApiException, KeyError, TypeError, ValueError):
        return None


def sandbox_runtime(conn: Connection) -> str:
    """"process" or "simulated", as the sandbox says (asked once per connection: a sandbox keeps its runtime
    until it stops, and connect() makes a new connection). A sandbox too old to say ran no process."""
    if not conn.runtime:
        try:
            conn.runtime = str(conn.api.request("GET", f"{SIMULATION}/runtime")["runtime"])
        except ApiException as exc:
            if exc.status != 404:
                raise
            conn.runtime = "simulated"
    return conn.runtime


def is_simulated(conn: Connection) -> bool:
    """True on a sandbox whose pods are all simulated (`--runtime simulated`): nothing there answers a request or
    holds a Redis list, so load and orders go to its workload model. False on the process runtime and on every
    real cluster, where the helpers do the real thing."""
    return conn.cluster == "sandbox" and sandbox_runtime(conn) == "simulated"


def quiet_simulation(conn: Connection, namespace: str) -> None:
    """Every simulated load stopped and every simulated queue emptied, with nothing flowing in."""
    for item in simulation(conn, "GET", f"{namespace}/load").get("items") or []:
        plural = {"Service": "services", "Deployment": "deployments"}[item["target"]["kind"]]
        simulation(conn, "PUT", f"{namespace}/load/{plural}/{item['target']['name']}", {"requestsPerSecond": 0})
    for queue in simulation(conn, "GET", f"{namespace}/queues").get("items") or []:
        list_name = queue["metadata"]["name"]
        if queue.get("ordersPerSecond"):
            simulation(conn, "PUT", f"{namespace}/queues/{list_name}", {"ordersPerSecond": 0})
        if queue.get("length"):
            simulation(conn, "DELETE", f"{namespace}/queues/{list_name}")
