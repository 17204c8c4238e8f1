"""How the dashboard writes numbers, ids, times and events in a few characters."""

from rich.text import Text

# The colours of a status (of TART's health, a component, a node), as rich styles.
STATUS_STYLES = {
    "healthy": "green",
    "online": "green",
    "live": "green",
    "degraded": "yellow",
    "connecting": "yellow",
    "unknown": "yellow",
    "unhealthy": "red",
    "offline": "red",
    "unreachable": "red",
}
SHORT_ID = 8  # hex digits of a node id shown in lists


def number(value) -> str:
    return "–" if value is None else f"{value:,}"


def ms(value) -> str:
    """Milliseconds to a tenth."""
    return "–" if value is None else f"{value:,.1f}"


def short_hash(value: str) -> str:
    """0x and the first 8 hex digits of a hash."""
    return f"{value[:10]}…"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def short_id(node_id: str) -> str:
    return f"{node_id[:SHORT_ID]}…"


def status(word: str, label: str | None = None) -> Text:
    """`● word` in the word's colour."""
    style = STATUS_STYLES.get(word, "")
    return Text.assemble(("● ", style), (label or word, style))


def duration(seconds) -> str:
    """3d 4h, 2h 5m, 7m 3s, 12s."""
    if seconds is None:
        return "–"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"


def clock(iso: str | None) -> str:
    """HH:MM:SS.mmm of an API time (UTC)."""
    return "–" if not iso else iso[11:23]


def when(iso: str | None) -> str:
    """YYYY-MM-DD HH:MM:SS of an API time (UTC)."""
    return "–" if not iso else f"{iso[:10]} {iso[11:19]}"


def summary(fields: dict, width: int = 60) -> str:
    """An event's fields as `name=value …`, nested values abbreviated, cut to `width`. Numbers
    come first (slots, ids, counts), then strings, then hashes, then what is nested: stored
    JSON has lost the spec's field order anyway."""
    parts = []
    for name, value in sorted(fields.items(), key=_field_order):
        parts.append(f"{name}={_brief(value)}")
        if sum(map(len, parts)) + len(parts) > width:
            break
    text = " ".join(parts)
    return text if len(text) <= width else text[: width - 1] + "…"


def _field_order(item) -> int:
    value = item[1]
    if isinstance(value, bool | int | float) or value is None:
        return 0
    if isinstance(value, str):
        return 2 if value.startswith("0x") else 1
    return 3


def _brief(value) -> str:
    if isinstance(value, str) and value.startswith("0x") and len(value) > 12:
        return value[:10] + "…"
    if isinstance(value, dict):
        if len(value) == 1:  # an enumeration's variant, e.g. {"Remote": null}
            ((key, inner),) = value.items()
            return key if inner is None else f"{key}({_brief(inner)})"
        return "{…}"
    if isinstance(value, list):
        return f"[{len(value)}]"
    return str(value)


def marked_bytes(raw: str, offset: int | None, before: int = 6, after: int = 9) -> Text:
    """The bytes of a frame (0x hex) around `offset`, the byte there marked: where decoding
    failed."""
    data = raw.removeprefix("0x")
    size = len(data) // 2
    if offset is None:
        offset = 0
    start, end = max(0, offset - before), min(size, offset + after + 1)
    text = Text("…" if start else "")
    for index in range(start, end):
        byte = data[2 * index : 2 * index + 2]
        text.append(byte, "bold reverse red" if index == offset else "")
        if index + 1 < end:
            text.append(" ")
    if offset >= size:
        text.append(" ⟨end⟩", "bold red")  # it needed more bytes than the frame has
    if end < size:
        text.append("…")
    return text


_EIGHTHS = " ▁▂▃▄▅▆▇█"


def bars(values: list[int], height: int) -> str:
    """`values` as a bar chart `height` lines high, a column per value, from zero to the
    largest (a sparkline scaled from the smallest would make a steady rate look jumpy)."""
    top = max(values, default=0) or 1
    levels = [round(value / top * height * 8) for value in values]
    lines = []
    for row in range(height - 1, -1, -1):
        lines.append("".join(_EIGHTHS[max(0, min(8, level - row * 8))] for level in levels))
    return "\n".join(lines)
