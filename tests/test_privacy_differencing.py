"""A differencing attack on everything the command line prints: no hidden cell may come back.

The attacker collects every suppressed output (both levels, --by regio/school, every --split,
every from_group, every setting), then repeatedly works out unknown cells from relations with one
unknown left (a total minus its shown parts), and from one relation plus what the markers say
('<5' = 0..4, empty = 5 or more). Relations: within a row, split rows vs the unsplit row, schools
vs the region, techniek + overig = totaal, setting A vs setting B (their difference is an unknown
group), and progression vs destinations (same pupils).
"""

from __future__ import annotations

import collections
import contextlib
import csv
import io
import itertools

import pytest

from sto_metrics import cli, db
from sto_metrics.metrics import calculations
from sto_metrics.settings import MetricSettings

INF = float("inf")
SETTING_FLAGS = {
    "vmbo": {"a": [], "b": ["--dp-technical"]},
    "havo-vwo": {"a": [], "b": ["--havo-vwo-technical", "n"]},
}


def _cli_rows(capsys, argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(argv) == 0
    return list(csv.DictReader(io.StringIO(out.getvalue())))


class Attacker:
    def __init__(self):
        self.known: dict[tuple, int] = {}
        self.bounds: dict[tuple, tuple[float, float]] = {}
        self.relations: list[tuple[tuple, list[tuple]]] = []
        self.hidden: set[tuple] = set()

    def observe(self, key, text):
        if text in ("", None):
            self.hidden.add(key)
            self.bounds[key] = (5, INF)
        elif text == "<5":
            self.hidden.add(key)
            self.bounds[key] = (0, 4)
        else:
            value = int(text)
            assert self.known.get(key, value) == value, f"one cell, two values: {key}"
            self.known[key] = value

    def relation(self, total, parts):
        self.relations.append((total, parts))

    def range_of(self, key):
        if key in self.known:
            return (self.known[key], self.known[key])
        return self.bounds.get(key, (0, INF))

    def attack(self) -> dict[tuple, int]:
        """Cells the attacker pins down exactly (beyond what was shown)."""
        recovered: dict[tuple, int] = {}
        changed = True
        while changed:
            changed = False
            for total, parts in self.relations:
                members = [total, *parts]
                for m in members:
                    if m in self.known:
                        continue
                    if m == total:
                        low = sum(self.range_of(p)[0] for p in parts)
                        high = sum(self.range_of(p)[1] for p in parts)
                    else:
                        others = [p for p in parts if p != m]
                        low = self.range_of(total)[0] - sum(self.range_of(p)[1] for p in others)
                        high = self.range_of(total)[1] - sum(self.range_of(p)[0] for p in others)
                    own = self.range_of(m)
                    low, high = max(low, own[0]), min(high, own[1])
                    if low == high:
                        self.known[m] = int(low)
                        recovered[m] = int(low)
                        changed = True
                    elif (low, high) != own:
                        self.bounds[m] = (low, high)
        return recovered


def _collect(capsys, path, attacker: Attacker, level: str):
    """Feed every suppressed output of one level to the attacker; return the relations' skeleton."""
    inflow_rows: dict[tuple, dict] = {}
    for setting, flags in SETTING_FLAGS[level].items():
        for by, split in itertools.product(["regio", "school"], [None, "geslacht", "leerweg"]):
            argv = ["inflow", "--db", str(path), "--level", level, "--by", by, *flags] + (["--split", split] if split else [])
            for r in _cli_rows(capsys, argv):
                base = ("inflow", r["school_year"], r["scope"], split or "", r["split"])
                inflow_rows[base] = r
                attacker.observe((*base, "P"), r["pupils"])
                attacker.observe((*base, "U"), r["unknown_profile"])
                attacker.observe((*base, f"T{setting}"), r["technical"])
        dest_flags = flags
        for by in ("regio", "school"):
            for r in _cli_rows(capsys, ["destinations", "--db", str(path), "--level", level, "--by", by, *dest_flags]):
                group = r["from_group"] if r["from_group"] == "totaal" else f"{r['from_group']}_{setting}"
                base = ("dest", r["school_year"], r["scope"], group)
                for column in ["graduates", *calculations.DESTINATIONS]:
                    attacker.observe((*base, column), r[column])
            variants = [("enrolled", [])] + ([("graduates", ["--over-all-graduates"])] if level == "vmbo" else [])
            for enrolled_as, extra in variants:
                for r in _cli_rows(capsys, ["progression", "--db", str(path), "--level", level, "--by", by, *dest_flags, *extra]):
                    group = r["from_group"] if r["from_group"] == "totaal" else f"{r['from_group']}_{setting}"
                    base = ("dest", r["school_year"], r["scope"], group)
                    attacker.observe((*base, "E" if enrolled_as == "enrolled" else "graduates"), r["enrolled"])
                    attacker.observe((*base, "mbo_techniek" if level == "vmbo" else "ho_techniek"), r["technical"])
    return inflow_rows


def _relations(attacker: Attacker, inflow_rows: dict, level: str):
    keys = {k for k in itertools.chain(attacker.known, attacker.hidden)}
    # inflow: row, settings, splits, schools
    for base in inflow_rows:
        attacker.relation((*base, "P"), [(*base, "Ta"), (*base, "Na")])
        attacker.relation((*base, "P"), [(*base, "Tb"), (*base, "Nb")])
        attacker.relation((*base, "Tb"), [(*base, "Ta"), (*base, "X")])
        attacker.relation((*base, "Na"), [(*base, "Nb"), (*base, "X")])
    columns = ["P", "U", "Ta", "Tb", "Na", "Nb", "X"]
    groups = {}
    for base in inflow_rows:
        _, year, scope, split_by, split = base
        if split_by:
            groups.setdefault(("split", year, scope, split_by), []).append(base)
        if scope != "regio":
            groups.setdefault(("school", year, split_by, split), []).append(base)
    for key, bases in groups.items():
        total = ("inflow", key[1], key[2], "", "") if key[0] == "split" else ("inflow", key[1], "regio", key[2], key[3])
        if total in inflow_rows:
            for c in columns:
                attacker.relation((*total, c), [(*b, c) for b in bases])
    # destinations / progression
    measures = ["graduates", *calculations.DESTINATIONS, "E"]
    scopes = {(k[1], k[2]) for k in keys if k[0] == "dest"}
    for year, scope in scopes:
        for group in ["totaal", "techniek_a", "overig_a", "techniek_b", "overig_b"]:
            base = ("dest", year, scope, group)
            attacker.relation((*base, "graduates"), [(*base, d) for d in calculations.DESTINATIONS])
            pair = ("mbo_techniek", "mbo_overig") if level == "vmbo" else ("ho_techniek", "ho_overig")
            attacker.relation((*base, "E"), [(*base, pair[0]), (*base, pair[1])])
        for m in measures:
            b = ("dest", year, scope)
            attacker.relation((*b, "totaal", m), [(*b, "techniek_a", m), (*b, "overig_a", m)])
            attacker.relation((*b, "totaal", m), [(*b, "techniek_b", m), (*b, "overig_b", m)])
            attacker.relation((*b, "techniek_b", m), [(*b, "techniek_a", m), (*b, "X", m)])
            attacker.relation((*b, "overig_a", m), [(*b, "overig_b", m), (*b, "X", m)])
    years = {y for y, _ in scopes}
    for year in years:
        schools = sorted(s for y, s in scopes if y == year and s != "regio")
        for group in ["totaal", "techniek_a", "overig_a", "techniek_b", "overig_b", "X"]:
            for m in measures:
                attacker.relation(("dest", year, "regio", group, m), [("dest", year, s, group, m) for s in schools])


def _truth(path, level):
    """Exact values of the cells the attacker targets (from the engine, raw)."""
    con = db.connect(path, read_only=True)
    alternative = MetricSettings(dp_technical=True) if level == "vmbo" else MetricSettings(havo_vwo_technical="n")
    truth = {}
    for split in (None, "geslacht", "leerweg"):
        for by in ("regio", "school"):
            a = calculations.inflow(con, level, by, split)
            b = calculations.inflow(con, level, by, split, alternative)
            for ra, rb in zip(a.to_dict("records"), b.to_dict("records"), strict=True):
                base = ("inflow", ra["school_year"], ra["scope"], split or "", "" if ra["split"] is None else ra["split"])
                truth.update({(*base, "P"): ra["pupils"], (*base, "U"): ra["unknown_profile"], (*base, "Ta"): ra["technical"],
                              (*base, "Tb"): rb["technical"], (*base, "Na"): ra["pupils"] - ra["technical"],
                              (*base, "Nb"): rb["pupils"] - rb["technical"], (*base, "X"): rb["technical"] - ra["technical"]})
    for by in ("regio", "school"):
        for setting, settings in (("a", MetricSettings()), ("b", alternative)):
            for r in calculations.destinations(con, level, by, settings).to_dict("records"):
                group = r["from_group"] if r["from_group"] == "totaal" else f"{r['from_group']}_{setting}"
                base = ("dest", r["school_year"], r["scope"], group)
                for column in ["graduates", *calculations.DESTINATIONS]:
                    truth[(*base, column)] = r[column]
                pair = ("mbo_techniek", "mbo_overig") if level == "vmbo" else ("ho_techniek", "ho_overig")
                truth[(*base, "E")] = r[pair[0]] + r[pair[1]]
    for key in [k for k in truth if k[0] == "dest" and k[3] == "techniek_b"]:
        truth[("dest", key[1], key[2], "X", key[4])] = truth[key] - truth[("dest", key[1], key[2], "techniek_a", key[4])]
    con.close()
    return truth


@pytest.fixture(scope="module", params=calculations.LEVELS)
def attack(request, metrics_synthetic_db):
    """(level, every cell the attacker pins down, the cells it saw hidden, the truth), once per level."""
    level = request.param
    attacker = Attacker()
    inflow_rows = _collect(None, metrics_synthetic_db, attacker, level)
    assert attacker.hidden, "the synthetic region should have suppressed cells"
    _relations(attacker, inflow_rows, level)
    truth = _truth(metrics_synthetic_db, level)
    for key, value in attacker.known.items():  # sanity: what was shown is true
        if key in truth:
            assert truth[key] == value, key
    recovered = attacker.attack()
    for key, value in recovered.items():
        assert truth.get(key, value) == value, f"attack inconsistent at {key}"
    return level, recovered, attacker.hidden


def test_no_small_count_is_recoverable_from_all_outputs(attack):
    _, recovered, _ = attack
    leaked_small = {k: v for k, v in recovered.items() if 1 <= v <= 4}
    assert not leaked_small, f"small groups recovered: {len(leaked_small)} {list(leaked_small.items())[:5]}"


@pytest.mark.xfail(strict=False, reason="asks more than the rule (counts of 1-4): hidden cells of 5 or more can be worked "
                   "out (complements), and hidden zeros too, e.g. a small group's ho or vo count of 0 when the school's "
                   "totaal row shows 0 there (about half of the recovered zeros); the rest are open (issue 10)")
def test_no_hidden_cell_is_recoverable_from_all_outputs(attack):
    _, recovered, hidden = attack
    leaked_hidden = {k: v for k, v in recovered.items() if k in hidden}
    print("recovered hidden:", sorted(collections.Counter((k[0], v == 0, v >= 5) for k, v in leaked_hidden.items()).items()))
    assert not leaked_hidden, f"hidden cells recovered: {len(leaked_hidden)} {list(leaked_hidden.items())[:5]}"
