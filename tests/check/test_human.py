"""`tart check` for people: the lines that say what is right and what is wrong, and where."""

import socket
import subprocess

from tart.protocol import encode_natural
from tests.support.captures import Capture, best_block, header
from tests.support.check import check
from tests.support.procs import tart


def lines(output):
    return [line.rstrip() for line in output.splitlines()]


def test_a_capture_that_conforms(tmp_path):
    capture = Capture(protocol_version=1, params_layout="0.8")
    capture.event(best_block(1))
    capture.event({"Dropped": {"last_timestamp": 1, "num_dropped": 5}})
    capture.event(best_block(2))
    path = capture.write(tmp_path / "good.bin")

    status, output = check(path)

    shown = lines(output)
    assert shown[0] == f"tart check: {path}"
    assert "Node information (frame 0, 231 bytes)" in shown
    assert (
        "  ✓ protocol version 1 · JAM Parameters in the GP 0.8 layout (122 bytes) · C = 2 cores"
        in shown
    )
    table = shown.index("Events by kind (2 kinds seen)")
    assert shown[table + 1 : table + 5] == [
        "kind  name              frames  valid  invalid",
        "   0  Dropped                1      1        0  ✓",
        "  11  BestBlockChanged       2      2        0  ✓",
        "      total                  3      3        0",
    ]
    assert "  3 event frames numbered 0 … 6; 1 Dropped event standing for 5 IDs" in shown
    assert "    frame 2: Dropped(5) is ID 1; the next event is ID 6" in shown
    assert "  no event that names another was seen" in shown
    assert shown[-1] == "✓ conforms: every frame decodes and every reference is right"
    assert status == 0


def test_the_failing_byte_is_marked_even_past_the_end(tmp_path):
    capture = Capture()
    capture.add(header(26))  # Connected out, without its Event ID
    path = capture.write(tmp_path / "short.bin")

    status, output = check(path)

    shown = lines(output)
    failure = shown.index("✗ 26 ConnectedOut: 1 of 1 frame invalid")
    assert shown[failure + 1 : failure + 4] == [
        "  first at frame 1 (event ID 0, capture byte 247): ConnectedOut.connecting_id at byte 9: "
        "truncated: Event ID needs 8 bytes, 0 left",
        "      0  00 00 e1 b7 f1 0b 00 00  1a ..",
        "                                     ^^ byte 9 (past the end)",
    ]
    assert shown[-1] == "✗ does not conform: 1 invalid frame in 1 kind"
    assert status == 1


def test_a_node_information_that_does_not_decode(tmp_path):
    capture = Capture()
    capture.messages[0] = capture.messages[0][:1] + encode_natural(134) + capture.messages[0][1:]
    capture.event(best_block(1))
    capture.event(best_block(2))
    path = capture.write(tmp_path / "prefixed.bin")

    status, output = check(path)

    shown = lines(output)
    assert "Node information (frame 0, 245 bytes)" in shown
    assert (
        "  ✗ invalid: NodeInformation at byte 238: 7 trailing bytes (reading JAM Parameters in "
        "the GP 0.7 layout; the GP 0.8 layout fails earlier)" in shown
    )
    assert (
        "  hint: JAM Parameters carry a length prefix (80 86, 134); they are sent without one, "
        "exactly as the fetch host call returns them" in shown
    )
    # The dump is cut to the lines around the failing byte, after the first.
    assert "      0  00 80 86 0a 00 00 00 00  00 00 00 01 00 00 00 00" in shown
    assert "        …" in shown
    # Byte 238 is the 15th of the line from 224: 9 columns of offset, 3 a byte, 1 between halves.
    assert " " * (9 + 3 * 14 + 1) + "^^ byte 238" in shown
    assert (
        "2 frames after it not checked: TART closes a connection whose node information does "
        "not decode" in shown
    )
    assert shown[-1] == "✗ does not conform: invalid node information"
    assert status == 1


def test_an_empty_capture(tmp_path):
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")

    status, output = check(path)

    assert lines(output) == [
        f"tart check: {path}",
        "no frames: a connection starts with the node information",
        "",
        "✗ does not conform: no node information",
    ]
    assert status == 1


def test_usage_mistakes_exit_2(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"")
    for args, message in [
        ((), "give a CAPTURE file (or -) or --listen HOST:PORT, not both"),
        ((str(tmp_path / "x.bin"), "--listen", "127.0.0.1:1"), "not both"),
        ((str(tmp_path / "missing.bin"),), "No such file or directory"),
        (("--listen", "nowhere"), "expected HOST:PORT"),
    ]:
        result = subprocess.run(tart("check", *args), capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, args
        assert message in result.stderr, (args, result.stderr)


def test_an_address_it_cannot_listen_on_exits_2_without_a_traceback():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        command = tart("check", "--listen", f"127.0.0.1:{port}")
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--listen': cannot listen on 127.0.0.1:{port}: "
        "Address already in use"
    )
