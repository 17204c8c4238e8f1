"""A conformance report for people: what `tart check` prints on a terminal (with rich)."""

from rich.table import Table
from rich.text import Text

from tart.protocol import EVENT_HEADER_SIZE, PVM_RECOMPILER_FLAG

BAD = "bold red"
GOOD = "green"
DIM = "dim"
MARK = "bold red reverse"
# Bytes per line of a hex dump; frames of up to this many lines are shown whole.
_DUMP_WIDTH = 16
_DUMP_WHOLE = 6


def render_report(report, console):
    """The whole report: node information, frames by kind, failures, IDs, references, verdict."""
    console.print(Text(f"tart check: {report['source']}", style="bold"))
    info = report["node_information"]
    if info is None:
        console.print(Text("no frames: a connection starts with the node information", style=BAD))
    else:
        console.print()
        _node_information(info, console)
    if report["unchecked_frames"]:
        count = report["unchecked_frames"]
        console.print(
            Text(
                f"{count} frame{_s(count)} after it not checked: TART closes a connection "
                f"whose node information does not decode",
                style=BAD,
            )
        )
    if report["kinds"]:
        console.print()
        _kinds(report, console)
        for kind in report["kinds"]:
            if kind["invalid"]:
                console.print()
                _invalid_kind(kind, console)
    if info is not None and info["valid"]:
        console.print()
        _numbering(report["numbering"], report["totals"]["events"], console)
        console.print()
        _references(report["references"], console)
    if report["framing"]:
        console.print()
        render_framing(report["framing"], console)
    console.print()
    console.print(_verdict(report))


def render_finding(finding, console):
    """One thing found while a node is connected (``tart check --listen``)."""
    kind = finding["type"]
    if kind == "node_information":
        _node_information(finding, console)
    elif kind == "invalid":
        line = Text("✗ ", style=BAD)
        line.append(f"frame {finding['frame']} (event ID {finding['event_id']}): ")
        line.append(_kind_label(finding["discriminator"], finding["name"]), style="bold")
        line.append(f" invalid: {_failure(finding)}")
        console.print(line)
        _hint(finding, console)
        console.print(hex_dump(bytes.fromhex(finding["raw"][2:]), finding["byte_offset"]))
    elif kind == "reference":
        console.print(Text("✗ ", style=BAD) + _wrong_reference(finding, counted=False))
    elif kind == "numbering":
        console.print(Text(f"✗ frame {finding['frame']}: {finding['reason']}", style=BAD))
    elif kind == "framing":
        render_framing(finding, console)


def render_framing(framing, console):
    console.print(
        Text(f"✗ framing at capture byte {framing['capture_offset']}: {framing['reason']}", BAD)
    )


def _node_information(info, console):
    title = Text("Node information", style="bold")
    title.append(f" (frame 0, {info['size']} bytes)", style=DIM)
    console.print(title)
    if not info["valid"]:
        error = info["error"]
        console.print(Text(f"  ✗ invalid: {_failure(error)}", style=BAD))
        _hint(error, console)
        console.print(hex_dump(bytes.fromhex(error["raw"][2:]), error["byte_offset"]))
        return
    console.print(
        f"  ✓ protocol version {info['protocol_version']} · JAM Parameters in the GP "
        f"{info['params_layout']} layout ({info['params_bytes']} bytes) · "
        f"C = {info['core_count']} cores",
        style=None,
        highlight=False,
    )
    flags = info["flags"]
    recompiler = "PVM recompiler" if flags & PVM_RECOMPILER_FLAG else "PVM interpreter"
    console.print(
        Text(
            f"  {info['implementation_name']} {info['implementation_version']} · "
            f"GP {info['gp_version']} · peer {info['peer_id'][:18]}… · "
            f"flags 0x{flags:08x} ({recompiler})"
        )
    )
    for warning in info["warnings"]:
        console.print(Text(f"  ! {warning}", style="yellow"))


def _kinds(report, console):
    totals = report["totals"]
    table = Table(box=None, pad_edge=False, show_edge=False, title_justify="left")
    table.title = Text(
        f"Events by kind ({totals['kinds_seen']} kind{_s(totals['kinds_seen'])} seen)",
        style="bold",
    )
    table.add_column("kind", justify="right")
    table.add_column("name")
    for column in ("frames", "valid", "invalid"):
        table.add_column(column, justify="right")
    table.add_column("")
    for kind in report["kinds"]:
        bad = kind["invalid"] > 0
        table.add_row(
            "–" if kind["discriminator"] is None else str(kind["discriminator"]),
            _kind_name(kind["discriminator"], kind["name"]),
            str(kind["frames"]),
            str(kind["valid"]),
            Text(str(kind["invalid"]), style=BAD if bad else ""),
            Text("✗", style=BAD) if bad else Text("✓", style=GOOD),
        )
    table.add_row(
        "",
        Text("total", style="bold"),
        str(totals["events"]),
        str(totals["valid"]),
        Text(str(totals["invalid"]), style=BAD if totals["invalid"] else ""),
        "",
    )
    console.print(table)


def _invalid_kind(kind, console):
    head = Text("✗ ", style=BAD)
    head.append(_kind_label(kind["discriminator"], kind["name"]), style="bold")
    head.append(f": {kind['invalid']} of {kind['frames']} frame{_s(kind['frames'])} invalid")
    console.print(head)
    first = kind["first_error"]
    console.print(
        Text(
            f"  first at frame {first['frame']} (event ID {first['event_id']}, capture byte "
            f"{first['capture_offset']}): {_failure(first)}"
        )
    )
    _hint(first, console)
    console.print(hex_dump(bytes.fromhex(first["raw"][2:]), first["byte_offset"]))
    others = [
        error
        for error in kind["errors"]
        if (error["field_path"], error["byte_offset"], error["reason"])
        != (first["field_path"], first["byte_offset"], first["reason"])
    ]
    if others or kind["distinct_errors"] > 1:
        console.print(Text(f"  {kind['distinct_errors']} distinct failures; most frequent:"))
        for error in kind["errors"]:
            console.print(
                Text(
                    f"    {error['count']}× {_failure(error)} (first at frame "
                    f"{error['first_frame']})"
                )
            )
            _hint(error, console, indent="      ")


def _numbering(numbering, events, console):
    console.print(Text("Event IDs", style="bold"))
    if not events:
        console.print(Text("  no events after the node information"))
        return
    last = numbering["next_id"] - 1
    line = f"  {events} event frame{_s(events)} numbered 0 … {last}"
    if numbering["dropped_events"]:
        line += (
            f"; {numbering['dropped_events']} Dropped event{_s(numbering['dropped_events'])} "
            f"standing for {numbering['ids_dropped']} ID{_s(numbering['ids_dropped'])}"
        )
    console.print(Text(line))
    for dropped in numbering["dropped"]:
        console.print(
            Text(
                f"    frame {dropped['frame']}: Dropped({dropped['count']}) is ID "
                f"{dropped['event_id']}; the next event is ID "
                f"{dropped['event_id'] + dropped['count']}",
                style=DIM,
            )
        )
    for problem in numbering["problems"]:
        console.print(Text(f"  ✗ frame {problem['frame']}: {problem['reason']}", style=BAD))


def _references(references, console):
    console.print(Text('References ("ID of the corresponding … event")', style="bold"))
    if not references["checked"]:
        console.print(Text("  no event that names another was seen"))
        return
    line = Text(f"  {references['checked']} checked: {references['right']} right, ")
    line.append(f"{references['wrong']} wrong", style=BAD if references["wrong"] else "")
    if references["unresolvable"]:
        line.append(
            f", {references['unresolvable']} naming dropped events or frames that did not decode"
        )
    console.print(line)
    for field in references["fields"]:
        if field["first_wrong"] is not None:
            console.print(Text("  ✗ ", style=BAD) + _wrong_reference(field))


def _wrong_reference(field, counted=True):
    wrong = field["first_wrong"]
    expected = " or ".join(f"{e['name']} ({e['discriminator']})" for e in field["expected"])
    text = Text()
    text.append(f"{field['name']}.{field['field']}", style="bold")
    text.append(
        (f": {field['wrong']} wrong; first" if counted else ":")
        + f" at frame {wrong['frame']} (event ID {wrong['event_id']}) {wrong['reason']}; "
        f"expected {expected}"
    )
    return text


def _verdict(report):
    if report["ok"]:
        return Text("✓ conforms: every frame decodes and every reference is right", style=GOOD)
    problems = []
    info = report["node_information"]
    if info is None:
        problems.append("no node information")
    elif not info["valid"]:
        problems.append("invalid node information")
    totals = report["totals"]
    if totals["invalid"]:
        problems.append(
            f"{totals['invalid']} invalid frame{_s(totals['invalid'])} in "
            f"{totals['kinds_invalid']} kind{_s(totals['kinds_invalid'])}"
        )
    wrong = report["references"]["wrong"]
    if wrong:
        problems.append(f"{wrong} wrong reference{_s(wrong)}")
    if report["numbering"]["problems"]:
        problems.append("event IDs reused")
    if report["framing"]:
        problems.append("a framing error")
    return Text("✗ does not conform: " + ", ".join(problems), style=BAD)


def hex_dump(message, offset):
    """The message's bytes, 16 a line, with the byte at ``offset`` marked (past the end: where
    a byte was missing). Long messages are cut to the lines around it."""
    lines = max(1, -(-max(len(message), offset + 1) // _DUMP_WIDTH))
    marked = offset // _DUMP_WIDTH
    if lines <= _DUMP_WHOLE:
        shown = range(lines)
    else:
        shown = sorted({0, *range(max(0, marked - 2), min(lines, marked + 2))})
    dump = []
    previous = -1
    for line in shown:
        if line > previous + 1:
            dump.append(Text("        …", style=DIM))
        previous = line
        start = line * _DUMP_WIDTH
        text = Text(f"  {start:5d} ", style=DIM)
        for position in range(start, min(start + _DUMP_WIDTH, max(len(message), offset + 1))):
            text.append("  " if position - start == _DUMP_WIDTH // 2 else " ")
            if position < len(message):
                text.append(f"{message[position]:02x}", style=MARK if position == offset else "")
            else:
                text.append("..", style=MARK)
        dump.append(text)
        if line == marked:
            column = 9 + 3 * (offset - start) + (offset - start >= _DUMP_WIDTH // 2)
            where = f"byte {offset}" + (" (past the end)" if offset >= len(message) else "")
            dump.append(Text(" " * column + "^^ " + where, style=BAD))
    return Text("\n").join(dump)


def _hint(error, console, indent="  "):
    if error["hint"]:
        console.print(Text(f"{indent}hint: {error['hint']}", style="yellow"))


def _failure(error):
    where = f"{error['field_path']} at byte" if error["field_path"] else "byte"
    return f"{where} {error['byte_offset']}: {error['reason']}"


def _kind_name(discriminator, name):
    if discriminator is None:
        return f"(frames shorter than {EVENT_HEADER_SIZE} bytes)"
    return name or "(not a JIP-3 event)"


def _kind_label(discriminator, name):
    if discriminator is None:
        return f"frames shorter than {EVENT_HEADER_SIZE} bytes"
    return f"{discriminator} {name or '(not a JIP-3 event)'}"


def _s(count):
    return "" if count == 1 else "s"
