"""Takes the README's picture of `tart dash` (docs/images/dash.svg).

Run TART fed by a 20-node load generator, then this against its API:

    TART_DATA_DIR=/tmp/shot API_BIND=127.0.0.1:18081 TELEMETRY_BIND=127.0.0.1:19001 tart run
    tart loadgen --telemetry 127.0.0.1:19001 --nodes 20 --rate 20 --duration 600 \\
        --mix status --garbage-rate 0.005
    .venv/bin/python docs/images/dash_screenshot.py http://127.0.0.1:18081

It watches for a minute, so that the sparkline has a minute of events per second.
"""

import argparse
import asyncio
from pathlib import Path

from tart.dash.app import Dashboard

HERE = Path(__file__).parent


async def take(url: str, seconds: float, size: tuple[int, int]) -> None:
    app = Dashboard(url, refresh_ms=500)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(seconds)
        app.save_screenshot("dash.svg", str(HERE))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="TART's API, e.g. http://127.0.0.1:8080")
    parser.add_argument("--seconds", type=float, default=60.0)
    arguments = parser.parse_args()
    asyncio.run(take(arguments.url, arguments.seconds, (120, 36)))


if __name__ == "__main__":
    main()
