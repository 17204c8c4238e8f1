"""`tart dash` and `tart-dash`: the terminal dashboard, pointed at a TART's HTTP API.

Only click is imported here, so `tart` starts quickly; textual is imported when the dashboard
runs."""

import click

from tart.api_url import base_url, url_option


@click.command()
@click.option("--host", default="localhost", show_default=True, help="Host of TART's HTTP API.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8080,
    show_default=True,
    help="Port of TART's HTTP API (its API_BIND).",
)
@click.option(
    "--url",
    callback=url_option,
    metavar="URL",
    help="TART's API as a URL instead, e.g. https://telemetry.example.net (behind a proxy).",
)
@click.option(
    "--refresh-ms",
    type=click.IntRange(100, 10000),
    default=500,
    show_default=True,
    help="How often the figures, nodes and health are read and the screen redrawn.",
)
def dash(host, port, url, refresh_ms):
    """Watch a TART's network in the terminal: stats, health, nodes, live events, block
    propagation and the work-package funnel.

    Keys: Tab switches Nodes/Events/Blocks/Work-packages, ↑/↓ PgUp/PgDn Home move, Enter
    opens a node, an event or a block, / filters the events by type or node, n shows the
    selected node's events, c switches a block's clock, Esc goes back, q quits.
    """
    from tart.dash.app import Dashboard

    if url is None:
        url = base_url(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    Dashboard(url, refresh_ms).run()
