# ruff: noqa: F811  (pytest fixtures are imported and used as arguments)
"""The national comparison in a real browser (Debian chromium through Playwright): the national line on Instroom with
DUO's shares, and the school against its province and the country on Mijn school."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from sto_metrics import db
from sto_metrics.national import compare
from tests.dashboard_fixtures import region_database, writable_database  # noqa: F401 (fixtures)
from tests.test_browser import _assert_no_errors, _open, _screenshot, _trace_values, browser_page, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
SCHOOL_LABEL = "Vmbo 't Zaanhuis (31XA00)"  # the school selector's query parameter holds its label


def test_national_line_on_instroom_and_comparison_on_mijn_school(server, browser_page):
    base_url, database, _exports = server
    con = db.connect(database, read_only=True)
    try:
        national = compare.compare(con, "vmbo", areas=("landelijk",))
        school = compare.school_context(con, "31XA00", "vmbo")
    finally:
        con.close()
    page = browser_page
    foreign: list[str] = []
    page.on("request", lambda request: foreign.append(request.url) if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)

    _open(page, f"{base_url}/instroom")
    page.wait_for_selector(".js-plotly-plot")
    _assert_no_errors(page)
    assert _trace_values(page, "Landelijk (DUO)") == [round(float(v), 6) for v in national["share"]]
    page.get_by_text("Bron landelijk: DUO").first.wait_for()
    _screenshot(page, "instroom-landelijk")

    _open(page, f"{base_url}/mijn-school?school={quote(SCHOOL_LABEL)}")
    page.wait_for_selector(".js-plotly-plot")
    _assert_no_errors(page)
    page.get_by_text("school, provincie en land").first.wait_for()
    own = school[school["area"] == "school"]
    assert _trace_values(page, "School volgens DUO") == [round(float(v), 6) for v in own["share"]]
    province = school[school["area"] == "provincie"]
    assert _trace_values(page, f"Provincie {province['area_name'].iloc[0]} (DUO)") == [round(float(v), 6) for v in province["share"]]
    _screenshot(page, "mijn-school-landelijk")
    assert not foreign, f"verzoeken buiten de eigen server: {foreign[:5]}"
