"""What `tart loadgen` shows while it runs and when it is done."""

import sys
import time

# Without a terminal (a log, a benchmark's pipe) a line this often is plenty.
PLAIN_EVERY = 5.0


class _Rate:
    """Frames per second between successive snapshots."""

    def __init__(self):
        self.last = None

    def __call__(self, snapshot):
        now, frames = time.monotonic(), snapshot["events"] + snapshot["garbage"]
        rate = 0.0
        if self.last is not None and now > self.last[0]:
            rate = (frames - self.last[1]) / (now - self.last[0])
        self.last = (now, frames)
        return rate


def _line(snapshot, rate):
    return (
        f"{snapshot['elapsed']:6.1f}s  nodes {snapshot['connected']}/{snapshot['nodes']} "
        f"connected  sent {snapshot['events']:,} events ({rate:,.0f}/s)  "
        f"garbage {snapshot['garbage']:,}  send errors {snapshot['send_errors']}  "
        f"connect failures {snapshot['connect_failures']}"
    )


class PlainProgress:
    """A line every PLAIN_EVERY seconds."""

    def __init__(self, file=sys.stdout):
        self.file = file
        self.rate = _Rate()
        self.printed_at = time.monotonic()

    def __call__(self, snapshot):
        rate = self.rate(snapshot)
        if time.monotonic() - self.printed_at >= PLAIN_EVERY:
            self.printed_at = time.monotonic()
            print(f"loadgen {_line(snapshot, rate)}", file=self.file, flush=True)

    def close(self):
        pass


class LiveProgress:
    """A progress bar on the terminal (rich): through the frames to send, or the seconds to run,
    with live figures beside it."""

    def __init__(self, plan):
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        if plan.count is not None:
            self.total, self.done = plan.nodes * plan.count, _frames
        elif plan.cycles is not None:
            self.total, self.done = None, _seconds  # cycles differ in length: no bar to fill
        else:
            self.total, self.done = plan.ramp_up + plan.limit_seconds, _seconds
        self.rate = _Rate()
        self.bar = Progress(
            BarColumn(bar_width=24),
            TaskProgressColumn(),
            TextColumn("{task.description}"),
            auto_refresh=False,
        )
        self.task = self.bar.add_task("starting nodes…", total=self.total)
        self.bar.start()

    def __call__(self, snapshot):
        rate = self.rate(snapshot)
        self.bar.update(
            self.task,
            completed=min(self.total, self.done(snapshot)),
            description=f"{snapshot['connected']:,}/{snapshot['nodes']:,} nodes"
            f" · {rate:,.0f}/s · sent {snapshot['events']:,}"
            f" · garbage {snapshot['garbage']:,} · failed sends "
            f"{snapshot['send_errors']:,}, connects "
            f"{snapshot['connect_failures']:,}",
        )
        self.bar.refresh()

    def close(self):
        self.bar.stop()


def _frames(snapshot):
    return snapshot["events"] + snapshot["garbage"]


def _seconds(snapshot):
    return snapshot["elapsed"]


def progress_display(plan):
    return LiveProgress(plan) if sys.stdout.isatty() else PlainProgress()


def describe(summary):
    """The summary as a few lines of text; the full per-node list is in --summary-json."""
    plan = summary["plan"]
    per_node = [node["events"] for node in summary["per_node"]]
    lines = [
        f"{plan['nodes']} nodes × {plan['rate']:g} events/s, mix {plan['mix']}, protocol "
        f"version {plan['protocol_version']}, GP {plan['params_layout']} parameters, "
        f"C={plan['core_count']}, to {plan['host']}:{plan['port']}",
        f"sent {summary['events']:,} events and {summary['garbage']:,} garbage frames in "
        f"{summary['elapsed_seconds']:.1f} s: {summary['achieved_rate']:,.0f} frames/s "
        f"(offered {summary['offered_rate']:,.0f}/s)",
        f"events per node: min {min(per_node, default=0):,}, max {max(per_node, default=0):,}",
        f"connections {summary['connections']:,}, connect failures "
        f"{summary['connect_failures']:,}, send errors {summary['send_errors']:,}",
    ]
    if summary["stopped_by_signal"]:
        lines.append("stopped early by a signal; the counts are what was sent until then")
    return "\n".join(lines)
