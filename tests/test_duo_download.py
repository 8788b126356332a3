"""`duo-download` against a local HTTP server on 127.0.0.1 serving the sample DUO files (bounded in time), and offline."""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import threading
from pathlib import Path

import pytest

from sto_metrics.cli import main
from sto_metrics.national import download
from sto_metrics.paths import DATA_DIR

SAMPLES = Path(__file__).parent / "data" / "duo"


@pytest.fixture
def server(tmp_path):
    """A quiet HTTP server on 127.0.0.1 serving a folder with the sample files under DUO-like names for peiljaar 2024."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(SAMPLES / "01.-leerlingen-vo-per-vestiging-naar-onderwijstype-2023.csv", site / "leerlingen-2024.csv")
    shutil.copy(SAMPLES / "examenkandidaten-en-geslaagden-2019-2024.csv", site / "examens-2020-2025.csv")
    shutil.copy(SAMPLES / "combinatie-erkende-opleidingscode-en-beroep.csv", site / "crebo.csv")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    httpd.timeout = 5
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", site
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def reference_with_urls(tmp_path, monkeypatch, lines: list[str]) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(DATA_DIR / "reference", reference)
    (reference / "duo_urls.csv").write_text("kind,url,note\n" + "\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("STO_REFERENCE_DIR", str(reference))


def test_download_fetches_every_listed_file_with_progress(server, tmp_path, monkeypatch, capsys):
    base, site = server
    reference_with_urls(tmp_path, monkeypatch, [f"duo_leerlingen,{base}/leerlingen-{{year}}.csv,",
                                                f"duo_examen,{base}/examens-{{first_year}}-{{next_year}}.csv,",
                                                f"duo_crebo,{base}/crebo.csv,"])
    out = tmp_path / "duo"
    assert main(["duo-download", "--out", str(out), "--year", "2024"]) == 0
    captured = capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["crebo.csv", "examens-2020-2025.csv", "leerlingen-2024.csv"]
    for name in ("crebo.csv", "examens-2020-2025.csv", "leerlingen-2024.csv"):
        assert (out / name).read_bytes() == (site / name).read_bytes()
    assert "100%" in captured.err and "leerlingen-2024.csv: [" in captured.err
    assert "Gedownload:" in captured.out
    # what was fetched loads as DUO data (the year from the file name)
    assert main(["load", str(out), "--db", str(tmp_path / "duo.duckdb")]) == 0
    assert "[duo_leerlingen]" in capsys.readouterr().out


def test_a_missing_file_says_the_address_may_have_changed(server, tmp_path, monkeypatch, capsys):
    base, _site = server
    reference_with_urls(tmp_path, monkeypatch, [f"duo_leerlingen,{base}/bestaat-niet-{{year}}.csv,"])
    assert main(["duo-download", "--out", str(tmp_path / "duo"), "--year", "2024"]) == 2
    err = capsys.readouterr().err
    assert "foutcode 404" in err and "duo_urls.csv" in err
    assert not list((tmp_path / "duo").iterdir())  # no half file left


def test_offline_says_so_in_dutch(tmp_path, monkeypatch, capsys):
    with socket.socket() as probe:  # a port on 127.0.0.1 that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    reference_with_urls(tmp_path, monkeypatch, [f"duo_leerlingen,http://127.0.0.1:{port}/leerlingen-{{year}}.csv,"])
    assert main(["duo-download", "--out", str(tmp_path / "duo")]) == 1
    err = capsys.readouterr().err
    assert "Geen verbinding met 127.0.0.1" in err and "offline" in err and "Traceback" not in err


def test_urls_come_from_the_reference_file_with_the_year_filled_in():
    listed = dict(download.urls(2024))
    assert listed["duo_leerlingen"].endswith("-2024.csv") and listed["duo_examen"].endswith("-2020-2025.csv")
    assert download.default_year(__import__("datetime").date(2026, 3, 1)) == 2025
