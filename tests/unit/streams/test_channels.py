"""The WebSocket channel protocols (sandbox/api/streams/channels.py): framing per subprotocol, which one is
chosen, what the error channel carries, and terminal sizes arriving in pieces."""
import json

import pytest
import yaml

from sandbox.api.streams import channels as ch


def test_binary_protocols_prefix_the_channel_byte():
    v5 = ch.PROTOCOLS[ch.V5]
    assert v5.frame(ch.STDOUT, b"out") == b"\x01out"
    assert v5.unframe(b"\x00in") == (ch.STDIN, b"in")
    assert v5.unframe("\x00text from the Python client") == (ch.STDIN, b"text from the Python client")
    assert v5.unframe(b"") is None


def test_only_v5_has_the_close_signal():
    assert ch.PROTOCOLS[ch.V5].unframe(bytes([255, 0])) == (ch.CLOSE_SIGNAL, b"\x00")
    assert ch.PROTOCOLS[ch.V4].unframe(bytes([255, 0])) == (255, b"\x00"), "v4: just an unknown channel"


def test_base64_protocols_use_a_digit_and_base64():
    v4b = ch.PROTOCOLS[ch.V4_BASE64]
    assert v4b.frame(ch.STDERR, b"\x00\xff") == "2AP8="
    assert v4b.unframe("0aGk=") == (ch.STDIN, b"hi")
    with pytest.raises(ValueError):
        v4b.unframe("0!!!")


@pytest.mark.parametrize("requested, chosen", [
    (["v5.channel.k8s.io"], ch.V5),  # kubectl 1.37
    (["v5.channel.k8s.io", "v4.channel.k8s.io"], ch.V5),  # the Python client
    (["v4.channel.k8s.io", "v5.channel.k8s.io"], ch.V4),  # the client's order wins
    (["base64.channel.k8s.io"], ch.V1_BASE64),
    ([], ""),
])
def test_the_first_protocol_the_client_lists_and_the_server_knows(requested, chosen):
    assert ch.choose(requested, ch.REMOTE_COMMAND).name == chosen


def test_port_forward_does_not_speak_v5():
    assert ch.choose(["v5.channel.k8s.io", "v4.channel.k8s.io"], ch.PORT_FORWARD).name == ch.V4
    assert ch.choose(["v5.channel.k8s.io"], ch.PORT_FORWARD) is None


def test_v4_and_v5_carry_a_json_status_the_older_ones_text():
    failure = ch.exit_code_status(3)
    assert json.loads(ch.PROTOCOLS[ch.V5].status_message(failure)) == failure
    assert ch.PROTOCOLS[ch.V4].status_message(ch.success()) == b'{"metadata":{},"status":"Success"}'
    assert ch.PROTOCOLS[ch.V1].status_message(ch.success()) is None
    assert ch.PROTOCOLS[ch.V1].status_message(failure) == failure["message"].encode()


def test_the_exit_code_status_reads_as_kubectl_and_the_python_client_read_it():
    status = ch.exit_code_status(3)
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"][0] == {"reason": "ExitCode", "message": "3"}
    parsed = yaml.safe_load(json.dumps(status))  # WSClient.returncode: yaml, then causes[0].message
    assert int(parsed["details"]["causes"][0]["message"]) == 3


def test_internal_errors_are_worded_as_apierrors_words_them():
    status = ch.internal_error("boom")
    assert status["message"] == "Internal error occurred: boom" and status["code"] == 500
    assert status["details"]["causes"] == [{"message": "boom"}]


def test_terminal_sizes_split_across_messages_or_several_in_one():
    decoder = ch.ResizeDecoder()
    assert decoder.feed(b'{"Width":80,') == []
    assert decoder.feed(b'"Height":24}\n{"Width":100,"Height":30}\n') == [(80, 24), (100, 30)]
    assert decoder.feed(b'"not a size"{"Width":1,"Height":2}') == [(1, 2)]
    assert decoder.feed(b"{" * 5000) == [] and decoder.feed(b'{"Width":3,"Height":4}') == [(3, 4)]
