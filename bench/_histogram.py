"""The ingest's batch write histogram (its ingest_stats counters), read as Prometheus would."""


def histogram_delta(before, after):
    """The batch_write_duration observations between two counter snapshots."""
    empty = {"buckets": {}, "count": 0, "sum": 0.0}
    start, end = before.get("batch_write_duration", empty), after.get("batch_write_duration", empty)
    buckets = {
        bound: count - start["buckets"].get(bound, 0) for bound, count in end["buckets"].items()
    }
    return {"buckets": buckets, "count": end["count"] - start["count"]}


def histogram_quantile(histogram, q):
    """The q-quantile of a cumulative histogram, interpolated linearly inside its bucket (as
    Prometheus' histogram_quantile does); None without observations or above the last finite
    bound."""
    total = histogram["count"]
    if not total:
        return None
    bounds = sorted(
        ((float(bound), count) for bound, count in histogram["buckets"].items()),
        key=lambda pair: pair[0],
    )
    rank, lower, below = q * total, 0.0, 0
    for bound, cumulative in bounds:
        if cumulative >= rank:
            if bound == float("inf"):
                return None
            inside = cumulative - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, cumulative
    return None


def ms(seconds):
    """`seconds` in ms, to 0.1; None stays None."""
    return None if seconds is None else round(seconds * 1000, 1)
