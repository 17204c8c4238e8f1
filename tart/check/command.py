"""The `tart check` command line. Only click is imported here, so `tart` starts quickly; the
checker (the codec, rich) is imported when the command runs."""

import click

from tart.config import parse_bind


def _host_port(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_bind(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command()
@click.argument("capture", required=False, type=click.File("rb"))
@click.option(
    "--listen",
    metavar="HOST:PORT",
    callback=_host_port,
    help="Accept one node's telemetry connection here instead (its --telemetry HOST:PORT) "
    "and report as frames arrive; Ctrl-C or the node closing ends it with the summary.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for CI).")
@click.pass_obj
def check(settings, capture, listen, as_json):
    """Check that JIP-3 telemetry conforms to the spec, decoding it exactly as TART does.

    CAPTURE is a file of frames as a node sends them (each a little-endian u32 size, then the
    message; node information first), or - for standard input. Nothing is stored; no database
    is needed. Exit status: 0 if everything conforms, 1 if not, 2 for a mistake in the command
    (an address it cannot listen on too).
    """
    if (capture is None) == (listen is None):
        raise click.UsageError("give a CAPTURE file (or -) or --listen HOST:PORT, not both")
    # Imported here: only this command needs the codec and rich.
    from tart.check.listen import CannotListen
    from tart.check.run import check_capture, check_connection

    if capture is not None:
        ok = check_capture(capture, settings.max_frame, as_json)
    else:
        try:
            ok = check_connection(*listen, settings.max_frame, as_json)
        except CannotListen as error:
            # Exit 2 like any mistake in the command: 1 says the node does not conform.
            raise click.BadParameter(str(error), param_hint="'--listen'") from None
    raise SystemExit(0 if ok else 1)
