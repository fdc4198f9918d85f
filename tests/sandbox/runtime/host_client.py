"""HTTP requests from a process with the pod network's host mode, as the notebook kernel has it after connect():
load-balancer and node addresses answer, pod and cluster IPs do not. Run as a script so the test process keeps
its own sockets untouched:

    python tests/sandbox/runtime/host_client.py KUBECONFIG < {"requests": [...], "concurrency": 20}

Each request is {"method", "url", "json"}; the answer, one JSON line, is a list of {"status", "body"} in the same
order (status 0 and the error's text as body when no answer came)."""
from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sandbox import kubeconfig
from sandbox.pod_network import layer

TIMEOUT = 30.0


def send(request: dict) -> dict:
    data = json.dumps(request["json"]).encode() if "json" in request else None
    call = urllib.request.Request(request["url"], data=data, method=request.get("method", "GET"),
                                  headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(call, timeout=TIMEOUT) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except OSError as error:
        return {"status": 0, "body": str(error)}
    try:
        return {"status": status, "body": json.loads(body)}
    except ValueError:
        return {"status": status, "body": body.decode(errors="replace")}


def main() -> None:
    layer.install_host(kubeconfig.read(sys.argv[1])["pod_network"]["table"])
    asked = json.load(sys.stdin)
    with ThreadPoolExecutor(max(1, asked.get("concurrency", 1))) as pool:
        print(json.dumps(list(pool.map(send, asked["requests"]))))


if __name__ == "__main__":
    main()
