"""The `tart loadgen` command line. Only click is imported here, so `tart` starts quickly;
the load generator itself (gevent, the codec) is imported when the command runs."""

import click

from tart.config import parse_bind

MIX_NAMES = ("status", "network", "pipeline", "lifecycles", "all")


def _host_port(ctx, param, value):
    try:
        return parse_bind(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command()
@click.option(
    "--telemetry",
    "target",
    default="127.0.0.1:9000",
    show_default=True,
    metavar="HOST:PORT",
    callback=_host_port,
    help="Where TART ingest listens (what a node's --telemetry says).",
)
@click.option(
    "--nodes",
    type=click.IntRange(1),
    default=100,
    show_default=True,
    help="Simulated nodes, one TCP connection each.",
)
@click.option(
    "--rate",
    type=click.FloatRange(0, min_open=True),
    default=100.0,
    show_default=True,
    help="Events per second per node. In the lifecycles mix, whose cycle differs in length "
    "from node to node, the rate of the node with the longest cycle: each other node's is "
    "scaled by its cycle's length, so that all go through their cycles (slots) in step.",
)
@click.option(
    "--duration",
    type=click.FloatRange(0, min_open=True),
    help="Seconds each node sends for.  [default: 10, or until --count]",
)
@click.option("--count", type=click.IntRange(1), help="Frames each node sends, then stops.")
@click.option(
    "--cycles",
    type=click.IntRange(1),
    help="Whole cycles of its mix each node sends, then stops (cycles differ in length from "
    "node to node in the lifecycles mix).",
)
@click.option(
    "--ramp-up",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Seconds over which the nodes' first connections are spread.",
)
@click.option(
    "--mix",
    type=click.Choice(MIX_NAMES),
    default="all",
    show_default=True,
    help="status: Status and best/finalized block; network: connections and block "
    "announcements; pipeline: a guarantor's work-package pipeline; lifecycles: blocks "
    "authored by one node and imported by the others, and work-packages through their "
    "guarantors, at known delays (docs/BLOCKS.md); all: every event of the protocol.",
)
@click.option(
    "--protocol-version",
    type=click.Choice(["0", "1"]),
    default="0",
    show_default=True,
    help="JIP-3 telemetry protocol version of every node.",
)
@click.option(
    "--params-layout",
    type=click.Choice(["0.7", "0.8"]),
    default="0.7",
    show_default=True,
    help="JAM Parameters layout (GP version) of every node.",
)
@click.option(
    "--cores",
    type=click.IntRange(1, 65535),
    default=341,
    show_default=True,
    help="Core count C in the nodes' JAM Parameters (sizes Status events).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Peer ids are derived from the seed and the node's index.",
)
@click.option(
    "--garbage-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Fraction of frames replaced by undecodable ones (unknown discriminator).",
)
@click.option(
    "--reconnect-every",
    type=click.FloatRange(0, min_open=True),
    metavar="SECONDS",
    help="Close and reopen each node's connection this often; event IDs restart "
    "at 0 on each connection.",
)
@click.option(
    "--slow",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="How many of the nodes write byte by byte and stall mid-frame.",
)
@click.option(
    "--summary-json",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the summary, with the events sent per node, to this file.",
)
def loadgen(target, summary_json, protocol_version, **options):
    """Simulate JAM nodes sending JIP-3 telemetry to TART ingest, and count what they sent.

    Exits with status 1 if any send or connection attempt failed.
    """
    from tart.loadgen.progress import describe, progress_display
    from tart.loadgen.runner import LoadGenerator, Plan, write_summary

    host, port = target
    plan = Plan(
        host=host,
        port=port,
        protocol_version=int(protocol_version),
        core_count=options.pop("cores"),
        **options,
    )
    generator = LoadGenerator(plan)
    display = progress_display(plan)
    try:
        summary = generator.run(display)
    finally:
        display.close()
    if summary_json:
        write_summary(summary, summary_json)
    click.echo(describe(summary))
    if summary["send_errors"] or summary["connect_failures"]:
        raise click.ClickException("some connections or sends failed (see above)")
