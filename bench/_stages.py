"""Where an event's receipt → delivery time goes, from the timestamps bench/_traced.py writes.

Each sample is one write to one WebSocket client, timed by the first event it held (the event
that waited longest, as the subscribers time a read), followed back through the web worker and
ingest: when ingest read its frame, queued it, sent its batch to PostgreSQL and had the commit
back; when the worker's listener had the notification that covered it, fetched it, and ended
the write. Times are Unix seconds from processes on one machine, so they compare directly.
"""

import bisect
import itertools
import json

QUANTILES = (0.5, 0.99)
STAGES = ("read", "queued", "batch sent", "committed", "notified", "fetched", "written")


def breakdown(trace_dir, ids):
    """{"samples": n, stage: {"step": [p50, p99], "since_read": [p50, p99]} in ms} for each
    stage after "read"; `ids` maps an event's id to its (session_id, event_id)."""
    ingest, notified, fetched, written = _read(trace_dir)
    samples = []
    for pid, event, at in written:
        times = ingest.get(ids.get(event))
        heard = _notified(notified.get(pid), event)
        got = _fetched(fetched.get(pid), event)
        if times is None or None in times or heard is None or got is None:
            continue
        samples.append((*times, heard, got, at))
    result = {"samples": len(samples)}
    for index, stage in enumerate(STAGES[1:], 1):
        result[stage] = {
            "step": _percentiles([s[index] - s[index - 1] for s in samples]),
            "since_read": _percentiles([s[index] - s[0] for s in samples]),
        }
    return result


def lines(stages):
    """The breakdown as printed lines."""
    out = [
        f"where the time goes ({stages['samples']:,} writes to subscribers), ms p50 / p99:",
        f"  {'stage':<26}{'this stage':>16}{'since read':>18}",
    ]
    for previous, stage in itertools.pairwise(STAGES):
        step, since = stages[stage]["step"], stages[stage]["since_read"]
        out.append(
            f"  {previous + ' → ' + stage:<26}{step[0]:>8} / {step[1]:<7}{since[0]:>9} / {since[1]}"
        )
    return out


def _read(trace_dir):
    ingest, notified, fetched, written = {}, {}, {}, []
    for path in sorted(trace_dir.glob("*.jsonl")):
        pid = int(path.stem)
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if isinstance(record, dict):
                for session, event_id, received, queued in record["events"]:
                    ingest[(session, event_id)] = (
                        received,
                        queued,
                        record["sent"],
                        record["committed"],
                    )
            elif record[0] == "notified":
                notified.setdefault(pid, ([], []))
                lasts, times = notified[pid]
                lasts.append(max(record[1], lasts[-1] if lasts else 0))
                times.append(record[2])
            elif record[0] == "fetched":
                fetched.setdefault(pid, []).append(tuple(record[1:]))
            else:
                written.append((pid, record[1], record[2]))
    for batches in fetched.values():
        batches.sort()
    return ingest, notified, fetched, written


def _notified(heard, event):
    """When the first notification that covered `event` arrived."""
    if heard is None:
        return None
    lasts, times = heard
    index = bisect.bisect_left(lasts, event)
    return times[index] if index < len(times) else None


def _fetched(batches, event):
    """When the rows holding `event` came back."""
    if batches is None:
        return None
    index = bisect.bisect_right(batches, (event, float("inf"), float("inf"))) - 1
    if index < 0 or batches[index][1] < event:
        return None
    return batches[index][2]


def _percentiles(values):
    if not values:
        return [None, None]
    values.sort()
    # + 0.0: no "-0.0" for a stage that took less than 0.05 ms either way.
    return [
        round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1) + 0.0 for q in QUANTILES
    ]
