"""`tart export`: stored events as JSON lines or CSV, read through TART's REST API.

Through the API rather than from the database: it works against any TART a user can reach
(behind a proxy, without database credentials), its filters are the API's own grammar, and
each line is exactly the event /api/events shows. It pages forwards with `since_id` and `next`
(1000 events a request, the API's largest page), which is an index walk however far it goes;
the export ends with the newest event that was stored when it began, so it finishes however
fast nodes send.

Only click is imported here, so `tart` starts quickly; httpx is imported when it runs.
"""

import csv
import logging
import sys

import click

from tart.api_url import url_option

PAGE = 1000
TIMEOUT = 60.0
CSV_COLUMNS = (
    "id",
    "node_id",
    "event_id",
    "event_type",
    "event_name",
    "timestamp",
    "received_at",
    "node_name",
    "node_version",
    "data",
)


@click.command()
@click.option(
    "--url",
    default="http://localhost:8080",
    show_default=True,
    callback=url_option,
    help="TART's HTTP API (its API_BIND, or a URL behind a proxy).",
)
@click.option(
    "--format",
    "form",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="One JSON object per line (as /api/events shows it), or CSV with `data` as JSON.",
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8", lazy=True),
    default="-",
    help="Write to this file instead of standard output.",
)
@click.option("--node", help="Only these nodes: a node id or its beginning (as node_id).")
@click.option("--type", "types", help="Only these event types, e.g. 11,42,90-113 (as event_type).")
@click.option("--since", help="Only events received at or after this ISO 8601 time (UTC).")
@click.option("--until", help="Only events received before this ISO 8601 time (UTC).")
def export(url, form, output, node, types, since, until):
    """Write stored events, oldest first, to standard output or a file.

    A progress bar is shown on standard error when it is a terminal.
    """
    import httpx

    # A line per request would bury the progress, or the output of `2>&1`.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    given = {"node_id": node, "event_type": types, "since": since, "until": until}
    filters = {name: value for name, value in given.items() if value is not None}
    with httpx.Client(base_url=url, timeout=TIMEOUT) as client:
        newest = _page(client, {**filters, "limit": 1})["events"]
        last = newest[0]["id"] if newest else 0
        write = _writer(form, output)
        bar = None
        cursor = None
        while newest:
            page = _page(client, {**filters, "since_id": cursor or 0, "limit": PAGE})
            events = [event for event in page["events"] if event["id"] <= last]
            for event in events:
                write(event)
            if events:
                if cursor is None:
                    cursor = events[0]["id"] - 1
                    bar = _progress(cursor, last)
                if bar is not None:
                    # Ids are what the export walks: they measure its progress without a count.
                    bar.update(events[-1]["id"] - cursor)
                cursor = events[-1]["id"]
            if not page["has_more"] or len(events) < len(page["events"]):
                break
        if bar is not None:
            bar.render_finish()
    output.close()


def _progress(before_first: int, last: int):
    """A bar from the first event's id to the last's on standard error; None when that is not
    a terminal (a pipe or a log file gets no bar)."""
    if not sys.stderr.isatty():
        return None
    return click.progressbar(
        length=last - before_first, label="exporting", file=sys.stderr, show_percent=True
    )


def _page(client, params) -> dict:
    import httpx
    import orjson

    try:
        response = client.get("/api/events", params=params)
    except httpx.HTTPError as error:
        raise click.ClickException(f"cannot reach TART at {client.base_url}: {error}") from None
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        reason = body.get("error") if isinstance(body, dict) else None
        raise click.ClickException(
            f"TART answered {response.status_code}: {reason or response.text[:200]}"
        )
    return body


def _writer(form, output):
    import orjson

    if form == "jsonl":

        def write(event):
            output.write(orjson.dumps(event).decode() + "\n")

        return write
    rows = csv.writer(output, lineterminator="\n")
    rows.writerow(CSV_COLUMNS)

    def write(event):
        rows.writerow(
            [
                orjson.dumps(event["data"]).decode() if column == "data" else event[column]
                for column in CSV_COLUMNS
            ]
        )

    return write
