"""The Subsidieaanvraag page: choose a school and years, get three downloads and the pasteable sentences."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import PupilDB, insert_frames, synthetic_frames


@pytest.fixture(scope="module")
def small_region(tmp_path_factory):
    path = tmp_path_factory.mktemp("report_page") / "region.duckdb"
    database = PupilDB(path)
    insert_frames(database.con, *synthetic_frames(11, pupils=400, first_year=2019))
    database.close()
    return path


def test_page_offers_three_downloads_and_the_sentences(small_region, monkeypatch):
    monkeypatch.setenv("STO_DB", str(small_region))
    page = AppTest.from_file("../pages/subsidieaanvraag.py", default_timeout=120)
    page.run()
    assert not page.exception
    assert page.selectbox(key="subsidie_scope").value == ""
    page.selectbox(key="subsidie_scope").set_value("31XB00")
    page.selectbox(key="subsidie_baseline").set_value(2020)
    page.run()
    assert not page.exception
    labels = [b.label for b in page.get("download_button")]
    assert labels == ["Excel (.xlsx)", "Word (.docx)", "Webpagina / pdf (.html)"]
    bullets = [m.value for m in page.markdown if m.value.startswith("- ")]
    assert any("Techniekcollege Wormerveer" in b for b in bullets)
    assert len(bullets) >= 8 and all(b.startswith(("- Het aandeel", "- Ambitie")) for b in bullets)
    assert any("2020\\-2021" in b for b in bullets)  # the chosen nulmeting (Markdown-escaped)


def test_page_refuses_a_baseline_after_the_latest_year(small_region, monkeypatch):
    monkeypatch.setenv("STO_DB", str(small_region))
    page = AppTest.from_file("../pages/subsidieaanvraag.py", default_timeout=120)
    page.run()
    page.selectbox(key="subsidie_baseline").set_value(2023)
    page.selectbox(key="subsidie_latest").set_value(2020)
    page.run()
    assert not page.exception
    assert page.warning and "nulmeting" in page.warning[0].value
