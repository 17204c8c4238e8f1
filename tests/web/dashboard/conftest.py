"""One TART fed by a loadgen network, and one browser, shared by the dashboard's tests."""

import pytest

from tests.support.browser import chromium
from tests.support.web_dashboard import Dashboard, loadgen_site


@pytest.fixture(scope="package")
def site(pg):
    with loadgen_site(pg) as site:
        yield site


@pytest.fixture(scope="package")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def dashboard(browser, site):
    dashboard = Dashboard(browser, site.base)
    yield dashboard
    dashboard.close()
