"""reach and activity-effect on the demo region agree with an independent pandas reference; the gate keeps inflow's secrets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sto_metrics import db, published
from sto_metrics.cli import main
from sto_metrics.metrics import activities
from sto_metrics.settings import MetricSettings


@pytest.fixture(scope="module")
def con(demo_database_path):
    connection = db.connect(demo_database_path, read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def chosen(con) -> pd.DataFrame:
    """One vo record per pupil and year: highest leerjaar, then smallest school (docs/ARCHITECTURE.md), by sorting."""
    vo = con.execute("SELECT * FROM vo_enrolment").df()
    vo = vo.sort_values(["pupil_hash", "school_year", "leerjaar", "school_id"], ascending=[True, True, False, True], na_position="last")
    return vo.drop_duplicates(["pupil_hash", "school_year"], keep="first")


def _reference_reach(con, chosen: pd.DataFrame) -> pd.DataFrame:
    activity = con.execute("SELECT * FROM activity").df()
    rows = []
    for (year, school, kind), group in activity.groupby(["school_year", activity["school_id"].fillna("regio"), "activity_type"]):
        low, high = (1, 6) if group["leerjaar"].isna().any() else (min(int(group["leerjaar"].min()), 6), min(int(group["leerjaar"].max()), 6))
        participants = int(group["participants"].sum())
        enrolled = np.nan
        if school != "regio":
            records = chosen[(chosen.school_year == year) & (chosen.school_id == school)]
            enrolled = float(records["leerjaar"].clip(upper=6).between(low, high).sum())
        share = min(participants / enrolled, 1.0) if enrolled and not np.isnan(enrolled) else np.nan
        rows.append({"school_year": f"{year}-{year + 1}", "scope": school, "activity_type": kind, "activities": group["activity_id"].nunique(),
                     "participants": participants, "girls": int(group["girls"].fillna(0).sum()), "enrolled": enrolled, "reach_share": share})
    return pd.DataFrame(rows).sort_values(["school_year", "scope", "activity_type"]).reset_index(drop=True)


def test_reach_agrees_with_pandas(con, chosen):
    engine = published.exact_table(con, "reach", by="school")
    reference = _reference_reach(con, chosen)
    assert len(engine) == len(reference) > 40
    columns = ["school_year", "scope", "activity_type", "activities", "participants", "girls"]
    assert engine[columns].values.tolist() == reference[columns].values.tolist()
    np.testing.assert_allclose(engine["enrolled"].astype("float64"), reference["enrolled"], equal_nan=True)
    np.testing.assert_allclose(engine["reach_share"], reference["reach_share"], equal_nan=True)
    assert (engine.scope == "regio").sum() > 5 and engine.loc[engine.scope == "regio", "enrolled"].isna().all()


def _reference_effect(con, chosen: pd.DataFrame, by: str, dp_technical: bool) -> pd.DataFrame:
    participants = con.execute("SELECT DISTINCT p.pupil_hash, a.school_year, a.school_id FROM activity_participant p "
                               "JOIN activity a USING (activity_id)").df()
    profiles = con.execute("SELECT code, technical, is_dp FROM ref_profile WHERE level IN ('vmbo', 'vmbo_tl')").df()
    lj3 = chosen[(chosen.education_type == "vmbo") & (chosen.leerjaar == 3) & (chosen.school_year > participants.school_year.min())]
    lj3 = lj3.merge(profiles, left_on="profile_code", right_on="code", how="inner")  # known profile only
    rows = []
    for record in lj3.itertuples(index=False):
        took_part = ((participants.pupil_hash == record.pupil_hash) & (participants.school_year < record.school_year)).any()
        rows.append({"school_year": record.school_year, "scope": record.school_id if by == "school" else "regio",
                     "group": "deelnemers" if took_part else "niet-deelnemers",
                     "technical": bool(record.technical or (dp_technical and record.is_dp))})
    frame = pd.DataFrame(rows)
    return frame.groupby(["school_year", "scope", "group"]).agg(pupils=("technical", "size"), technical=("technical", "sum")).reset_index()


@pytest.mark.parametrize(("by", "dp_technical"), [("regio", False), ("school", False), ("regio", True)])
def test_activity_effect_agrees_with_pandas(con, chosen, by, dp_technical):
    engine = published.exact_table(con, "activity_effect", by=by, settings=MetricSettings(dp_technical=dp_technical))
    engine = engine[engine.pupils > 0]
    reference = _reference_effect(con, chosen, by, dp_technical)
    reference["school_year"] = reference["school_year"].map(lambda y: f"{y}-{y + 1}")
    assert engine[["school_year", "scope", "group", "pupils", "technical"]].values.tolist() == reference.values.tolist()
    assert len(engine) >= 10


def test_demo_participants_chose_technology_more_often(con):
    table = published.table(con, "activity_effect", by="regio")
    difference = activities.group_difference(table)
    assert len(difference) >= 5
    # a year whose group cells the privacy gate cannot show beside inflow's published cells shows no difference at all
    shown = difference.dropna(subset=["difference"])
    assert len(shown) >= 3 and (shown.difference > 0).all()
    assert (shown.diff_low > 0).sum() >= 2  # the demo's selection shows, with intervals


def test_activity_table_keeps_the_inflow_tables_decisions(con):
    """In the protected table: every inflow cell is shown or hidden exactly as in the inflow's own table, and where the
    inflow hides a count, the two groups' counts are never both shown (they add up to it)."""
    from sto_metrics.metrics.calculations import Cube, inflow_counts
    from sto_metrics.privacy import suppression

    rules = suppression.SuppressionRules()
    inflow = suppression.protected_table(Cube("inflow", "vmbo", MetricSettings(), inflow_counts(con, "vmbo")), "inflow", rules)
    cube = Cube("activity-effect", "vmbo", MetricSettings(), activities.activity_counts(con))
    effect = suppression.protected_table(cube, "activity_effect", rules)
    years = set(cube.counts["school_year"])
    checked = 0
    for key, i in inflow.index.items():
        if key[0] not in years or key not in effect.index:
            continue
        assert effect.hidden[effect.index[key]] == inflow.hidden[i], key
        if inflow.hidden[i] and key[4] in ("P", "Ta", "Tb"):
            checked += 1
            groups = [effect.index.get((*key[:4], f"{key[4]}{g}")) for g in ("_d", "_n")]
            assert not all(j is not None and not effect.hidden[j] for j in groups), key
    assert checked > 100


def test_cli_columns(demo_database_path, capsys):
    assert main(["reach", "--db", str(demo_database_path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "school_year,scope,scope_name,activity_type,activities,participants,girls,enrolled,reach_share"
    assert main(["activity-effect", "--db", str(demo_database_path), "--by", "school"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "school_year,scope,scope_name,group,pupils,technical,share,ci_low,ci_high" and len(lines) > 20
    assert main(["reach", "--db", str(demo_database_path), "--geslacht", "V"]) == 2
    assert main(["activity-effect", "--db", str(demo_database_path), "--leerweg", "BB"]) == 2
    assert main(["reach-pupils", "--db", str(demo_database_path), "--school", "31XB00"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "school_year,scope,scope_name,pupils_reached" and lines[1] == "2020-2021,31XB00,Techniekcollege Wormerveer,164"
    assert main(["reach-pupils", "--db", str(demo_database_path), "--geslacht", "V"]) == 2
    assert "niet per leerweg of geslacht" in capsys.readouterr().err


def test_grant_pack_has_the_reach_table_and_the_comparison_with_its_caveat(con):
    from sto_metrics.report import pack

    report = pack.report_content(con)
    section = next(s for s in report.sections if s.sheet == "Activiteiten")
    reach_block, reached_block, effect_block, participation_block = section.blocks
    reached = published.table(con, "reach_pupils", by="regio")
    assert [row[1] for row in reached_block.table.rows] == list(reached["pupils_reached"]) and len(reached) >= 3
    reach = published.table(con, "reach", by="school")
    assert len(reach_block.table.rows) == len(reach)
    assert [row[4] for row in reach_block.table.rows] == list(reach["participants"])  # the published head counts, '<5' kept
    effect = published.table(con, "activity_effect", by="regio")
    took_part = effect[effect["group"] == "deelnemers"]
    assert [row[2] for row in effect_block.table.rows] == pytest.approx(list(took_part["share"].astype(float)), nan_ok=True)
    assert activities.CAVEAT_NL in effect_block.sentences
    assert any("vaker voor een technisch profiel" in s for s in effect_block.sentences)
    assert [s.sheet for s in report.sections].index("Activiteiten") == [s.sheet for s in report.sections].index("Ambities") - 1
    participation = activities.cohort_participation(effect)
    assert [row[1:4] for row in participation_block.table.rows] == [
        [p, t, pytest.approx(s, nan_ok=True)] for p, t, s in zip(participation.pupils, participation.took_part, participation.share, strict=True)]
    assert participation.share.notna().sum() >= 3 and participation_block.sentences[0].startswith("In 20")
    assert "bekend profiel" in participation_block.notes[0]


@pytest.mark.parametrize("by", ["school", "regio"])
def test_reach_pupils_agrees_with_pandas(con, chosen, by):
    listed = con.execute("SELECT DISTINCT p.pupil_hash, a.school_year FROM activity_participant p JOIN activity a USING (activity_id)").df()
    reached = listed.merge(chosen[chosen.leerjaar.notna()], on=["pupil_hash", "school_year"], how="inner")
    reached["scope"] = reached["school_id"] if by == "school" else "regio"
    reference = reached.groupby(["school_year", "scope"]).size().reset_index(name="pupils_reached")
    reference["school_year"] = reference["school_year"].map(lambda y: f"{y}-{y + 1}")
    engine = published.exact_table(con, "reach_pupils", by=by)
    assert engine[["school_year", "scope", "pupils_reached"]].values.tolist() == reference.values.tolist()
    assert len(engine) >= (18 if by == "school" else 6)
    suppressed = published.table(con, "reach_pupils", by=by)
    assert not set(suppressed.pupils_reached.astype(str)) & {"1", "2", "3", "4"}
    # the demo's reached counts are large: all are shown, also in the two years whose comparison shows no group count
    assert suppressed.pupils_reached.tolist() == engine.pupils_reached.tolist()


def test_reach_pupils_share_the_comparisons_table(con, chosen):
    """Reached in school year Y and the leerjaar-3 cohort of Y+1 are cells of one protected table: the pupils reached
    at a school and the participants of that school's cohort a year later are sums over the same inner cells."""
    from sto_metrics.metrics.calculations import Cube
    from sto_metrics.privacy import suppression

    cells = activities.activity_counts(con)
    table = suppression.protected_table(Cube("activity-effect", "vmbo", MetricSettings(), cells), "activity_effect",
                                        suppression.SuppressionRules(), with_counts=True)
    exact = published.exact_table(con, "reach_pupils", by="school")
    for row in exact.itertuples(index=False):
        year = int(row.school_year[:4]) + 1
        assert table.values[table.index[(year, "", "", "", f"R:{row.scope}")]] == row.pupils_reached
    # outside the leerjaar-3 grid: the pupils reached in 2020-2021 who are not in vmbo leerjaar 3 a year later (by pandas)
    listed = con.execute("SELECT DISTINCT p.pupil_hash FROM activity_participant p JOIN activity a USING (activity_id) "
                         "WHERE a.school_year = 2020").df()
    reached = chosen[(chosen.school_year == 2020) & chosen.leerjaar.notna() & chosen.pupil_hash.isin(listed.pupil_hash)]
    later = chosen[(chosen.school_year == 2021) & (chosen.education_type == "vmbo") & (chosen.leerjaar == 3)]
    expected = int((~reached.pupil_hash.isin(later.pupil_hash)).sum())
    assert table.values[table.index[(2021, "", "", "", "X")]] == expected > 0


def test_cohort_participation_agrees_with_pandas(con, chosen):
    """Share of the leerjaar-3 cohort (known profile) on a participant list of an earlier year, against the reference."""
    reference = _reference_effect(con, chosen, "regio", False)
    cohorts = reference.pivot_table(index="school_year", columns="group", values="pupils", fill_value=0, aggfunc="sum")
    participation = activities.cohort_participation(published.exact_table(con, "activity_effect", by="regio"))
    participation = participation[participation.pupils > 0]
    assert participation.school_year.tolist() == [f"{y}-{y + 1}" for y in cohorts.index]
    assert participation.took_part.tolist() == cohorts["deelnemers"].tolist()
    assert participation.pupils.tolist() == (cohorts["deelnemers"] + cohorts["niet-deelnemers"]).tolist()
    np.testing.assert_allclose(participation.share.astype(float), cohorts["deelnemers"] / cohorts.sum(axis=1))
    # published: a share only where both groups' pupil counts are shown, and then the same as the exact one
    shown = activities.cohort_participation(published.table(con, "activity_effect", by="regio"))
    exact = participation.set_index("school_year")
    for row in shown.itertuples(index=False):
        if np.isnan(row.share):
            continue
        assert isinstance(row.pupils, int) and isinstance(row.took_part, int)
        assert (row.pupils, row.took_part) == (exact.pupils[row.school_year], exact.took_part[row.school_year])
        assert row.share == pytest.approx(exact.share[row.school_year])
