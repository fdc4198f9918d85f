"""list_watch: list, watch from the list's version, resume after a window, list again after 410; two failure
policies (a wait fails fast, a follower goes on)."""
import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from helpers.errors import WorkshopError
from helpers.list_watch import LISTED, WINDOW, list_watch


def obj(name, rv):
    return {"metadata": {"name": name, "resourceVersion": str(rv)}}


class FakeApi:
    """Answers lists and watch windows from scripts; records the resourceVersion each watch started from."""

    def __init__(self, lists, windows):
        self.lists, self.windows, self.watched_from = list(lists), list(windows), []

    def get(self, path, **params):
        answer = self.lists.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def stream(self, path, params, seconds):
        self.watched_from.append(params["resourceVersion"])
        window = self.windows.pop(0)
        if isinstance(window, Exception):
            raise window
        yield from window


def take(events, count):
    return [next(events) for _ in range(count)]


def test_resumes_from_the_last_version_and_lists_again_after_410():
    api = FakeApi([{"metadata": {"resourceVersion": "5"}, "items": [obj("a", 4)]},
                   {"metadata": {"resourceVersion": "20"}, "items": []}],
                  [[{"type": "ADDED", "object": obj("b", 6)}, {"type": "BOOKMARK", "object": obj("", 9)}],
                   urllib3.exceptions.ProtocolError("cut"),
                   [{"type": "ERROR", "object": {"kind": "Status", "code": 410}}],
                   []])
    events = list_watch(api, "/api/v1/pods", window=lambda: 1)
    kinds = [e.type for e in take(events, 7)]
    assert kinds == [LISTED, "ADDED", WINDOW, WINDOW, WINDOW, LISTED, WINDOW]
    assert api.watched_from == ["5", "9", "9", "20"]


def test_a_wait_fails_with_the_servers_words_and_a_follower_goes_on():
    error = {"type": "ERROR", "object": {"kind": "Status", "code": 500, "reason": "InternalError", "message": "boom"}}
    wait = list_watch(FakeApi([{"metadata": {"resourceVersion": "1"}, "items": []}], [[error]]), "/p",
                      window=lambda: 1)
    assert next(wait).type == LISTED
    with pytest.raises(WorkshopError, match=r"Error from server \(InternalError\): boom"):
        next(wait)
    pauses = []
    follower = list_watch(FakeApi([{"metadata": {"resourceVersion": "1"}, "items": []}, ApiException(status=503),
                                   {"metadata": {"resourceVersion": "3"}, "items": []}], [[error]]),
                          "/p", window=lambda: 1, retry_after=1.0, sleep=pauses.append)
    assert [e.type for e in take(follower, 3)] == [LISTED, WINDOW, LISTED] and pauses == [1.0]
    refused = list_watch(FakeApi([ApiException(status=403)], []), "/p", window=lambda: 1, retry_after=1.0)
    with pytest.raises(ApiException):
        next(refused)
