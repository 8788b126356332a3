# ruff: noqa: F811  (pytest fixtures are imported from tests and used as arguments)
"""Sign-in in a real browser (issue 13): `streamlit run` with [auth] pointing at a local OpenID Connect
mock provider (oidc-provider-mock, loopback only), signed in as a beheerder and as a lezer."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench import local_servers
from sto_metrics import roles
from tests.dashboard_fixtures import REPO, region_database, writable_database  # noqa: F401 (fixtures)
from tests.test_browser import APP_IDLE, _require_chromium, browser_page  # noqa: F401

USERS = {"anna": "anna@regio.nl", "kees": "kees@school.nl"}
ROLES = "wie,rol\nanna@regio.nl,beheerder\n@school.nl,lezer\n"


@pytest.fixture
def signed_in_server(writable_database, tmp_path):
    """The mock provider and a dashboard with [auth] (its secrets file given on the command line, not in the repo)."""
    _require_chromium()
    pytest.importorskip("oidc_provider_mock")
    provider_port, app_port = local_servers.free_port(), local_servers.free_port()
    provider_url = f"http://127.0.0.1:{provider_port}"
    claims = [arg for sub, email in USERS.items() for arg in ("--user-claims", json.dumps({"sub": sub, "email": email, "name": sub}))]
    provider_log = (tmp_path / "provider.log").open("w")
    provider = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(provider_port), *claims],
                                stdout=provider_log, stderr=subprocess.STDOUT)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'''[auth]
redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"
cookie_secret = "test-cookie-secret-test-cookie-secret"
client_id = "sto-monitor"
client_secret = "test-client-secret"
server_metadata_url = "{provider_url}/.well-known/openid-configuration"
''', encoding="utf-8")
    roles_file = tmp_path / "rollen.csv"
    roles_file.write_text(ROLES, encoding="utf-8")
    env = {**os.environ, "STO_DB": str(writable_database), roles.ROLES_ENV: str(roles_file),
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "AUTHLIB_INSECURE_TRANSPORT": "1"}
    app_log = (tmp_path / "streamlit.log").open("w")
    app = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
                            "--server.port", str(app_port), "--server.address", "127.0.0.1", "--secrets.files", str(secrets)],
                           cwd=REPO, env=env, stdout=app_log, stderr=subprocess.STDOUT)
    try:
        local_servers.wait_until_up(f"{provider_url}/.well-known/openid-configuration", provider, "oidc-provider-mock", timeout=60)
        local_servers.wait_until_up(f"http://127.0.0.1:{app_port}/_stcore/health", app, "streamlit")
        yield f"http://127.0.0.1:{app_port}"
    finally:
        local_servers.stop(app)
        local_servers.stop(provider)
        app_log.close()
        provider_log.close()


def _sign_in(page, base_url: str, sub: str) -> None:
    page.goto(base_url)
    page.wait_for_selector(APP_IDLE)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("button", name=sub, exact=True).click()  # the mock provider's predefined user
    page.wait_for_url(f"{base_url}/**")
    page.wait_for_selector(APP_IDLE)


def test_sign_in_as_beheerder_and_as_lezer(signed_in_server, browser_page):
    page, base_url = browser_page, signed_in_server
    # Not signed in: only the sign-in page, no figure and no school.
    page.goto(base_url)
    page.wait_for_selector(APP_IDLE)
    assert page.get_by_role("button", name="Inloggen").is_visible()
    assert page.locator(".js-plotly-plot").count() == 0 and page.locator('[data-testid="stMetric"]').count() == 0
    assert "Zaanhuis" not in page.content()

    _sign_in(page, base_url, "anna")
    page.get_by_text("Ingelogd als anna@regio.nl (beheerder).").wait_for()
    page.locator('[data-testid="stMetric"]').first.wait_for()
    assert page.locator('[data-testid="stSidebarNav"]').get_by_text("Data", exact=True).is_visible()
    page.goto(f"{base_url}/data")
    page.get_by_role("button", name="Laden").wait_for()
    page.get_by_text("Logboek").wait_for()
    page.get_by_role("button", name="Uitloggen").click()
    page.get_by_role("button", name="End session").click()  # the provider ends its session too, then sends the browser back
    page.get_by_role("button", name="Inloggen").wait_for()

    _sign_in(page, base_url, "kees")
    page.get_by_text("Ingelogd als kees@school.nl (lezer).").wait_for()
    page.locator('[data-testid="stMetric"]').first.wait_for()
    assert page.locator('[data-testid="stSidebarNav"]').get_by_text("Data", exact=True).count() == 0
    page.goto(f"{base_url}/ambities")
    page.wait_for_selector(APP_IDLE)
    page.get_by_role("heading", name="Ambities").wait_for()
    assert page.get_by_role("button", name="Ambities opslaan").count() == 0
