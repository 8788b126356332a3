"""Docs that cannot drift: the README's metric section is generated, and every metric is shown somewhere."""

from __future__ import annotations

from pathlib import Path

from sto_metrics.docs import END, START, metrics_markdown
from sto_metrics.metrics import ambitions
from sto_metrics.metrics.calculations import METRICS
from sto_metrics.privacy import suppression

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_metrics_section_is_the_generated_one():
    start, end = README.index(START), README.index(END) + len(END)
    assert README[start:end] == metrics_markdown(), "run: python -m sto_metrics.docs and paste into README.md"


def test_every_metric_is_documented_and_shown_on_some_page():
    pages = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "pages").glob("*.py"))
    pages += (REPO / "app_support.py").read_text(encoding="utf-8")
    for name, metric in METRICS.items():
        assert f"`{name}`" in README and metric.label_nl in README
        family = name.removesuffix("_vmbo").removesuffix("_havo_vwo")
        assert family in pages, f"{name} is on no page"


def test_suppression_rule_and_status_rule_are_in_the_readme():
    rule = suppression.__doc__.split("-" * 20)[-1].strip().split("\n")[0]
    assert rule.strip("-").strip() in README
    assert ambitions.STATUS_RULE_NL in README


def test_readme_starts_with_the_two_fresh_machine_commands():
    first = [line.strip() for line in README.splitlines()[1:5] if line.strip()]
    assert first[:2] == ["pip install -r requirements.txt && streamlit run dashboard.py",
                         "pip install -r requirements-dev.txt && python -m pytest"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -r requirements-dev.txt && python -m pytest" in ci
