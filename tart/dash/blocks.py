"""The Blocks and Work-packages tabs' pieces: the latest blocks with their spreads, the
work-package funnel of each guarantor role, its failures by reason, and the network's health
score (/api/analytics/health)."""

import itertools

from rich.text import Text

from tart.dash import formats
from tart.dash.widgets import Table

# Anomalies listed under the network's score; the rest are counted.
ANOMALIES_SHOWN = 3


class BlockTable(Table):
    """The blocks with the highest slots, highest first: who authored each, how many of the
    nodes reporting it had it, and its spread on TART's receive clock; Enter opens one."""

    COLUMNS = (
        ("Slot", 9),
        ("Hash", 11),
        ("Author", 9),
        ("Had", 7),
        ("p50 ms", 8),
        ("p90 ms", 8),
        ("p100 ms", 8),
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shown: dict[str, tuple] = {}  # header hash → its cells as shown

    def on_mount(self) -> None:
        for label, width in self.COLUMNS:
            self.add_column(label, width=width, key=label)

    def show(self, blocks: list[dict]) -> None:
        cells = {block["header_hash"]: block_cells(block) for block in blocks}
        if list(cells) != list(self.shown):
            self.replace_rows(list(cells.items()))
        else:
            for key, row in cells.items():
                for (label, _), value, was in zip(self.COLUMNS, row, self.shown[key]):
                    if value != was:
                        self.update_cell(key, label, value)
        self.shown = cells


def block_cells(block: dict) -> tuple:
    spread = block["spread_ms"]
    author = block["author_node_id"]
    return (
        Text(str(block["slot"]), justify="right"),
        formats.short_hash(block["header_hash"]),
        "–" if author is None else formats.short_id(author),
        Text(f"{block['nodes_had']}/{block['reporting_nodes']}", justify="right"),
        *(Text(formats.ms(spread[p]), justify="right") for p in ("p50", "p90", "p100")),
    )


class FunnelTable(Table):
    """Per stage of the work-package pipeline, how many pipelines of each guarantor role
    reached it and their median time from the pipeline's first event (the node's clock)."""

    COLUMNS = (("Stage", 15), ("Primary", 7), ("p50 ms", 7), ("Secondary", 9), ("p50 ms", 7))

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shown: list[tuple] = []  # (stage, cells) as shown

    def on_mount(self) -> None:
        for label, width in self.COLUMNS:
            self.add_column(label, width=width)

    def show(self, funnel: dict) -> None:
        roles = [
            {stage["stage"]: stage for stage in funnel[role]["stages"]}
            for role in ("primary", "secondary")
        ]
        rows = []
        for stage in stage_order(*(list(role) for role in roles)):
            cells = [stage.replace("_", " ")]
            for role in roles:
                reached = role.get(stage)
                if reached is None:
                    cells += ["", ""]
                else:
                    cells.append(Text(formats.number(reached["count"]), justify="right"))
                    cells.append(Text(formats.ms(reached["latency_ms"]["p50"]), justify="right"))
            rows.append((stage, tuple(cells)))
        if rows != self.shown:
            self.replace_rows(rows)
            self.shown = rows


def stage_order(primary: list[str], secondary: list[str]) -> list[str]:
    """The primary's stages, each of the secondary's own after the stage it follows."""
    order = list(primary)
    for before, stage in itertools.pairwise(secondary):
        if stage not in order:
            order.insert(order.index(before) + 1, stage)
    return order


def funnel_line(answer: dict) -> Text:
    funnel = answer["funnel"]
    primary, secondary = funnel["primary"], funnel["secondary"]
    return Text.assemble(
        ("pipelines begun in the last hour: ", "dim"),
        (formats.number(primary["stages"][0]["count"]), "bold"),
        " primary (",
        (formats.number(primary["failed"]), "red" if primary["failed"] else ""),
        f" failed, {formats.number(primary['duplicate'])} duplicate), ",
        (formats.number(secondary["stages"][0]["count"]), "bold"),
        " secondary",
    )


def failures_text(failures: list[dict]) -> Text:
    """Failures of the last hour grouped by reason, most frequent first."""
    if not failures:
        return Text("none", "dim")
    text = Text()
    for index, failure in enumerate(failures):
        if index:
            text.append("\n")
        text.append(f"{failure['count']:,} ", "bold red")
        text.append(failure["reason"] or "(no reason)")
        text.append(f" {failure['event_name']}", "dim")
    return text


def network_score(health: dict | None, lacking: str | None = None) -> Text:
    """`● degraded network 72/100`, the anomalies that lowered it under it."""
    if lacking:
        return Text("network score: not in this TART", "dim")
    if health is None:
        return Text("network score –", "dim")
    text = formats.status(health["status"], f"network {health['score']}/100")
    anomalies = health["anomalies"]
    for anomaly in anomalies[:ANOMALIES_SHOWN]:
        text.append(f"\n {anomaly['message']}", "yellow")
    if len(anomalies) > ANOMALIES_SHOWN:
        text.append(f"\n and {len(anomalies) - ANOMALIES_SHOWN} more", "dim")
    return text


def score_summary(health: dict | None, lacking: str | None = None) -> Text:
    """The network's score in one line (for the Blocks tab of a narrow terminal)."""
    if lacking or health is None:
        return Text()
    text = formats.status(health["status"], f"network {health['score']}/100")
    count = len(health["anomalies"])
    text.append(f" ({count} anomal{'y' if count == 1 else 'ies'})  ")
    return text
