"""The one loop every wait and the live chart follow objects with: list, then watch from the list's
resourceVersion, as client-go's reflector does.

    for event in list_watch(conn.api, path, field_selector="metadata.name=web", window=lambda: 60):
        ...  # LISTED (event.items: all of them), ADDED / MODIFIED / DELETED (event.object), or WINDOW

A watch request lasts one window (`window()` seconds, asked again before each request); when it ends, or the stream
goes quiet or is cut, the loop yields WINDOW and watches again from the last resourceVersion it saw, so nothing is
missed and nothing is listed twice. When the server says that version is too old (410 Gone, as an ERROR event or as
a response), the loop lists again and yields LISTED. BOOKMARK events only move the version forward.

Failures follow one of two policies. A wait (`retry_after=None`) fails fast with the server's own words: any
other error response or ERROR event raises. A background follower (`retry_after=seconds`) keeps going through
passing failures of the API server: it lists again after an ERROR event, and after `retry_after` seconds (slept
with `sleep`, which a thread can make interruptible) after an error response; 401 and 403 still raise, since
waiting does not grant a permission. The consumer ends the loop by leaving its `for`: the open stream is closed.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import urllib3
from kubernetes.client.exceptions import ApiException

from .api import Api
from .errors import WorkshopError, describe_status

LISTED, WINDOW = "LISTED", "WINDOW"


@dataclass(frozen=True)
class Event:
    type: str  # LISTED, ADDED, MODIFIED, DELETED or WINDOW
    object: dict | None = None  # ADDED, MODIFIED, DELETED: the object
    items: list[dict] | None = None  # LISTED: every object the list returned


def list_watch(api: Api, path: str, *, label_selector: str = "", field_selector: str = "",
               window: Callable[[], float], retry_after: float | None = None,
               sleep: Callable[[float], object] = time.sleep) -> Iterator[Event]:
    """Events for the objects under the list path `path` that match the selectors, forever (see the module)."""
    selectors = {"labelSelector": label_selector, "fieldSelector": field_selector}
    version = ""
    while True:
        try:
            if not version:
                listing = api.get(path, **selectors)
                version = listing["metadata"].get("resourceVersion", "")
                yield Event(LISTED, items=listing.get("items") or [])
            params = {**selectors, "resourceVersion": version, "allowWatchBookmarks": "true"}
            with contextlib.closing(api.stream(path, params, window())) as stream:
                for event in stream:
                    kind, obj = event.get("type"), event.get("object") or {}
                    if kind == "ERROR":  # a Status: 410 means list again; anything else is the server's error
                        if obj.get("code") != 410 and retry_after is None:
                            raise WorkshopError(describe_status(obj))
                        version = ""
                        break
                    version = (obj.get("metadata") or {}).get("resourceVersion", version)
                    if kind != "BOOKMARK":
                        yield Event(kind, object=obj)
            yield Event(WINDOW)
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError):
            yield Event(WINDOW)  # the stream went quiet or was cut: resume from the last version seen
        except ApiException as exc:
            if exc.status == 410:
                version = ""
            elif retry_after is None or exc.status in (401, 403):
                raise
            else:
                sleep(retry_after)  # a passing failure of the API server: list again after a pause
                version = ""
