"""Synthetic demo region: vo, mbo and ho enrolment exports (docs/command-line.md, `demo`).

Two scales share one behavioural model (vectorised with numpy):

- ``regio``: the fictional Zaanstreek region of data/reference/schools.csv, school years
  2017-2018 .. 2025-2026, about 2,000 pupils per year group. Every vo school file has its
  own real-world shape (delimiter, encoding, headers, value spellings) and a handful of
  deliberate, exactly recorded data problems (MANIFEST.json).
- ``landelijk``: about a million vo pupils per school year, 2018-2019 .. 2025-2026, written
  per school year and kind in one clean shape, with bounded memory (for benchmarks).

The model, per school year Y (enrolment on 1 October):

- new intake in leerjaar 1 per school and track (BB, KB, GL, TL, havo, vwo);
- vmbo pupils choose a profile (TL: a sector) in leerjaar 3, havo/vwo pupils in leerjaar 4;
  the technical share rises from about 20% (up to 2020) to about 27%, far lower for girls;
- exam years end with a diploma (about 87-97%); failed pupils repeat or leave;
- other years: about 3% repeat, about 1% leave the region, about 2% change school, some
  move from vwo to havo or havo to vmbo-TL; some vmbo-TL graduates go on to havo 4;
- graduates are followed into mbo / hbo / wo on 1 October of Y+1 (a few are not found);
  mbo continues 1-4 years, some move on to a higher level or to hbo, some have two
  enrolments in one year; mbo and ho also hold students from outside the region.

Every random draw comes from numpy Generators seeded with the seed, so the same seed
gives byte-identical files. Codes for mbo (crebo) and ho (croho) programmes are invented
(99xxx and 98xxx) and do not refer to real programmes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sto_metrics.errors import UserError
from sto_metrics.paths import DATA_DIR

SCALES = ("regio", "landelijk")
MANIFEST_NAME = "MANIFEST.json"

# ---------------------------------------------------------------------------
# The behavioural model
# ---------------------------------------------------------------------------

TRACKS = ("BB", "KB", "GL", "TL", "havo", "vwo")
BB, KB, GL, TL, HAVO, VWO = range(6)
TRACK_YEARS = np.array([4, 4, 4, 4, 5, 6], dtype=np.int8)
PASS_RATE = np.array([0.97, 0.95, 0.93, 0.92, 0.87, 0.91])
TRACK_TECH_FACTOR = np.array([1.2, 1.15, 1.0, 0.7, 0.0, 0.0])  # relative odds of a technical profile

GENDERS = ("M", "V", "X")
GENDER_P = (0.505, 0.492, 0.003)
M, V, X = range(3)

# Profile index 0 means "none yet". Levels: 0 none, 1 vmbo profile, 2 TL sector, 3 havo/vwo.
PROFILES = (
    "", "BWI", "PIE", "MVI", "M&T", "MaT", "D&P", "Z&W", "E&O", "HBR", "GR",
    "TL_TECHNIEK", "TL_ZORG", "TL_ECONOMIE", "TL_LANDBOUW",
    "NT", "NT/NG", "NG", "NG/EM", "EM", "EM/CM", "CM",
)  # fmt: skip
P = {code: i for i, code in enumerate(PROFILES)}
PROFILE_LEVEL = np.array([0] + [1] * 10 + [2] * 4 + [3] * 7, dtype=np.int8)
# The default definitions (reference table): what the behaviour of pupils depends on.
PROFILE_TECH = np.array([code in {"BWI", "PIE", "MVI", "M&T", "MaT", "TL_TECHNIEK", "NT", "NT/NG"} for code in PROFILES])

VMBO_TECH = np.array([P[c] for c in ("BWI", "PIE", "MVI", "M&T", "MaT")], dtype=np.int8)
VMBO_TECH_W = ((0.30, 0.32, 0.18, 0.15, 0.05), (0.14, 0.12, 0.58, 0.10, 0.06))
VMBO_OTHER = np.array([P[c] for c in ("D&P", "Z&W", "E&O", "HBR", "GR")], dtype=np.int8)
VMBO_OTHER_W = ((0.32, 0.10, 0.30, 0.16, 0.12), (0.26, 0.40, 0.18, 0.10, 0.06))
TL_OTHER = np.array([P[c] for c in ("TL_ZORG", "TL_ECONOMIE", "TL_LANDBOUW")], dtype=np.int8)
TL_OTHER_W = ((0.25, 0.65, 0.10), (0.55, 0.40, 0.05))
HV = np.array([P[c] for c in ("NT", "NT/NG", "NG", "NG/EM", "EM", "EM/CM", "CM")], dtype=np.int8)
HV_W = {  # (track, gender) -> weights over HV
    (HAVO, M): (0.16, 0.08, 0.12, 0.06, 0.42, 0.10, 0.06),
    (HAVO, V): (0.03, 0.05, 0.27, 0.06, 0.35, 0.08, 0.16),
    (VWO, M): (0.22, 0.20, 0.10, 0.06, 0.32, 0.06, 0.04),
    (VWO, V): (0.05, 0.17, 0.30, 0.06, 0.27, 0.05, 0.10),
}
# Chance that a havo/vwo graduate with this profile picks a technical ho programme.
HO_TECH_P = np.zeros(len(PROFILES))
HO_TECH_P[[P["NT"], P["NT/NG"], P["NG"], P["NG/EM"], P["EM"], P["EM/CM"], P["CM"]]] = (0.50, 0.35, 0.08, 0.05, 0.04, 0.03, 0.02)
# mbo level (1-4) of vmbo graduates by track.
MBO_LEVEL_P = {BB: (0.04, 0.86, 0.10, 0.0), KB: (0.0, 0.18, 0.62, 0.20), GL: (0.0, 0.03, 0.22, 0.75), TL: (0.0, 0.02, 0.18, 0.80)}


def _weights(table: tuple, gender: int) -> np.ndarray:
    """Weights for a gender; X takes the mean of M and V."""
    if gender == X:
        return (np.asarray(table[0]) + np.asarray(table[1])) / 2
    return np.asarray(table[gender], dtype=float)


def _exact_draw(rng: np.random.Generator, p: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Bernoulli-like draw with probabilities `p`, but exactly round(sum p) hits per group.

    Keeps the regional trend smooth (yearly shares follow the target instead of wandering
    by sampling noise) while who gets picked still depends on p (Efraimidis-Spirakis).
    """
    hits = np.zeros(p.size, dtype=bool)
    for group in np.unique(groups).tolist():
        sel = np.flatnonzero(groups == group)
        k = math.floor(float(p[sel].sum()) + rng.random())  # stochastic rounding
        if k <= 0:
            continue
        score = np.log(rng.random(sel.size)) / np.maximum(p[sel], 1e-9)
        hits[sel[np.argpartition(-score, k - 1)[:k]]] = True
    return hits


def technical_share_target(year: int) -> float:
    """Regional share of vmbo leerjaar-3 pupils choosing technology: ~20% to 2020, then ~27%."""
    return 0.20 + 0.075 * min(1.0, max(0.0, (year - 2020) / 4))


def girls_technical_share(year: int) -> float:
    return 0.055 + 0.025 * min(1.0, max(0.0, (year - 2020) / 4))


# mbo programmes (fictional crebo codes 99xxx): code, name, level, sector as an export spells it, technical.
MBO_PROGRAMMES = (
    ("99101", "Medewerker bouw en infra", 2, "Techniek en gebouwde omgeving", True),
    ("99102", "Monteur elektrotechnische installaties", 2, "Techniek en gebouwde omgeving", True),
    ("99103", "Autotechnicus", 2, "Techniek", True),
    ("99104", "Eerste monteur installatietechniek", 3, "Techniek en gebouwde omgeving", True),
    ("99105", "Allround timmerman", 3, "Techniek en gebouwde omgeving", True),
    ("99106", "Eerste autotechnicus", 3, "Techniek", True),
    ("99107", "Medewerker ICT-support", 3, "ICT en creatieve industrie", True),
    ("99108", "Procesoperator", 3, "Techniek en gebouwde omgeving", True),
    ("99109", "Technicus elektrotechniek", 4, "Techniek en gebouwde omgeving", True),
    ("99110", "Technicus werktuigbouwkunde", 4, "Techniek en gebouwde omgeving", True),
    ("99111", "Software developer", 4, "ICT en creatieve industrie", True),
    ("99112", "Mediavormgever", 4, "ICT en creatieve industrie", True),
    ("99201", "Entreeopleiding assistent", 1, "Entree", False),
    ("99202", "Verkoopmedewerker", 2, "Handel en ondernemerschap", False),
    ("99203", "Helpende zorg en welzijn", 2, "Zorg en welzijn", False),
    ("99204", "Medewerker groene ruimte", 2, "Landbouw", False),
    ("99205", "Beveiliger", 2, "Economie", False),
    ("99206", "Medewerker secretariaat en receptie", 3, "Economie", False),
    ("99207", "Verzorgende IG", 3, "Zorg en welzijn", False),
    ("99208", "Zelfstandig werkend kok", 3, "Economie", False),
    ("99209", "Pedagogisch medewerker", 3, "Zorg en welzijn", False),
    ("99210", "Bedrijfsadministrateur", 4, "Economie", False),
    ("99211", "Ondernemer detailhandel", 4, "Handel en ondernemerschap", False),
    ("99212", "Verpleegkundige", 4, "Zorg en welzijn", False),
    ("99213", "Sport- en bewegingscoördinator", 4, "Zorg en welzijn", False),
)
MBO_BY = {
    (tech, level): np.array([i for i, p in enumerate(MBO_PROGRAMMES) if p[4] == tech and p[2] == level], dtype=np.int16)
    for tech in (False, True)
    for level in (1, 2, 3, 4)
}
MBO_BY[(True, 1)] = MBO_BY[(True, 2)]  # no technical level-1 programmes: level 2 instead

# ho programmes (fictional croho codes 98xxx): code, name, hbo/wo, type as an export spells it, CROHO sector, technical.
HO_PROGRAMMES = (
    ("98101", "Werktuigbouwkunde", "hbo", "hbo-bachelor", "Techniek", True),
    ("98102", "Elektrotechniek", "hbo", "hbo-bachelor", "Techniek", True),
    ("98103", "HBO-ICT", "hbo", "hbo-bachelor", "Techniek", True),
    ("98104", "Bouwkunde", "hbo", "hbo-bachelor", "Techniek", True),
    ("98105", "Technische bedrijfskunde", "hbo", "hbo-ad", "Techniek", True),
    ("98201", "Bedrijfskunde", "hbo", "hbo-bachelor", "Economie", False),
    ("98202", "Commerciële economie", "hbo", "hbo-bachelor", "Economie", False),
    ("98203", "Verpleegkunde", "hbo", "hbo-bachelor", "Gezondheidszorg", False),
    ("98204", "Social work", "hbo", "hbo-bachelor", "Gedrag en maatschappij", False),
    ("98205", "Leraar basisonderwijs", "hbo", "hbo-bachelor", "Onderwijs", False),
    ("98206", "HBO-Rechten", "hbo", "hbo-bachelor", "Recht", False),
    ("98207", "Accountancy", "hbo", "hbo-ad", "Economie", False),
    ("98301", "Werktuigbouwkunde", "wo", "wo-bachelor", "Techniek", True),
    ("98302", "Informatica", "wo", "wo-bachelor", "Techniek", True),
    ("98401", "Economie en bedrijfskunde", "wo", "wo-bachelor", "Economie", False),
    ("98402", "Psychologie", "wo", "wo-bachelor", "Gedrag en maatschappij", False),
    ("98403", "Geneeskunde", "wo", "wo-bachelor", "Gezondheidszorg", False),
    ("98404", "Rechtsgeleerdheid", "wo", "wo-bachelor", "Recht", False),
    ("98405", "Biologie", "wo", "wo-bachelor", "Natuur", False),
    ("98406", "Nederlandse taal en cultuur", "wo", "wo-bachelor", "Taal en cultuur", False),
)
HO_PROGRAMMES = HO_PROGRAMMES + tuple(  # each wo bachelor has a master (code + 50)
    (str(int(code) + 50), f"{name} (master)", "wo", "wo-master", sector, tech)
    for code, name, kind, _type, sector, tech in HO_PROGRAMMES
    if kind == "wo"
)
HO_BACHELORS = {
    (wo, tech): np.array(
        [i for i, p in enumerate(HO_PROGRAMMES) if (p[2] == "wo") == wo and p[5] == tech and p[3] != "wo-master"], dtype=np.int16
    )
    for wo in (False, True)
    for tech in (False, True)
}
HO_MASTER_OF = np.array(
    [next((j for j, q in enumerate(HO_PROGRAMMES) if q[0] == str(int(p[0]) + 50)), -1) if p[3] == "wo-bachelor" else -1 for p in HO_PROGRAMMES],
    dtype=np.int16,
)
HO_IS_AD = np.array([p[3] == "hbo-ad" for p in HO_PROGRAMMES])


@dataclass
class _World:
    """Schools and institutions of one scale."""

    first_year: int
    last_year: int
    burn_in: int  # years simulated before first_year so that every leerjaar is filled
    intake: np.ndarray  # [schools, 6] expected leerjaar-1 intake per track
    school_tech: np.ndarray  # [schools] relative odds of a technical vmbo profile
    mbo_home: np.ndarray  # [schools] the mbo institution most pupils go to
    mbo_techcol: np.ndarray  # [schools] the institution half of the technical pupils go to
    n_hbo: int
    n_wo: int
    outsider_mbo: float  # mbo students from elsewhere, per leerjaar-1 pupil of the region, per year
    outsider_ho: float

    @property
    def offers(self) -> np.ndarray:
        return self.intake > 0


class _Enrolments:
    """mbo or ho enrolments: one record per programme, spanning `duration` school years."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, pupil, start, duration, institution, programme, route, dual) -> None:
        n = len(pupil)
        if n:
            self.parts.append(
                (
                    np.asarray(pupil, dtype=np.int64),
                    np.broadcast_to(np.asarray(start, dtype=np.int16), n).copy(),
                    np.asarray(duration, dtype=np.int8),
                    np.asarray(institution, dtype=np.int16),
                    np.asarray(programme, dtype=np.int16),
                    np.broadcast_to(np.asarray(route, dtype=np.int8), n).copy(),
                    np.broadcast_to(np.asarray(dual, dtype=bool), n).copy(),
                )
            )

    def arrays(self) -> dict[str, np.ndarray]:
        names = ("pupil", "start", "duration", "institution", "programme", "route", "dual")
        if not self.parts:
            return {name: np.empty(0, dtype=np.int64) for name in names}
        return {name: np.concatenate([part[i] for part in self.parts]) for i, name in enumerate(names)}


VoEmitter = Callable[[int, dict[str, np.ndarray]], None]


class _Simulation:
    def __init__(self, world: _World, rng: np.random.Generator, emit_vo: VoEmitter) -> None:
        self.world = world
        self.rng = rng
        self.emit_vo = emit_vo
        self.mbo = _Enrolments()
        self.ho = _Enrolments()

    # -- the year loop ---------------------------------------------------------------------
    def run(self) -> None:
        w, rng = self.world, self.rng
        years = list(range(w.first_year - w.burn_in, w.last_year + 1))
        factors = 1.0 + rng.normal(0.0, 0.02, len(years))
        counts = [rng.poisson(w.intake * f) for f in factors]
        n_pupils = int(sum(int(c.sum()) for c in counts))
        self.n_pupils = n_pupils
        self.next_outsider = n_pupils  # outsider ids follow the vo pupils' ids
        self.gender = rng.choice(3, n_pupils, p=GENDER_P).astype(np.int8)
        self.track = np.zeros(n_pupils, dtype=np.int8)
        self.school = np.zeros(n_pupils, dtype=np.int32)
        self.lj = np.zeros(n_pupils, dtype=np.int8)
        self.profile = np.zeros(n_pupils, dtype=np.int8)
        self.intake_year = np.zeros(n_pupils, dtype=np.int16)
        n_schools = w.intake.shape[0]
        school_of_cell = np.repeat(np.arange(n_schools), 6)
        track_of_cell = np.tile(np.arange(6), n_schools)
        total_intake = float(w.intake.sum())
        cur = np.empty(0, dtype=np.int64)
        next_id = 0
        for year, count in zip(years, counts, strict=True):
            flat = count.ravel()
            ids = np.arange(next_id, next_id + int(flat.sum()), dtype=np.int64)
            next_id += ids.size
            self.school[ids] = np.repeat(school_of_cell, flat)
            self.track[ids] = np.repeat(track_of_cell, flat)
            self.lj[ids] = 1
            self.intake_year[ids] = year
            cur = np.concatenate([cur, ids])

            self._choose_profiles(year, cur)
            t, lj = self.track[cur], self.lj[cur]
            exam = lj == TRACK_YEARS[t]
            passed = exam & (rng.random(cur.size) < PASS_RATE[t])
            if year >= w.first_year:
                diploma = np.where(exam, passed, -1).astype(np.int8)
                self.emit_vo(
                    year,
                    {
                        "pupil": cur.copy(),
                        "school": self.school[cur],
                        "track": t,
                        "leerjaar": lj,
                        "profile": self.profile[cur],
                        "gender": self.gender[cur],
                        "diploma": diploma,
                    },
                )
            cur = self._advance(year, cur, t, lj, exam, passed)
            self._outsiders(year + 1, total_intake)

    # -- profiles -------------------------------------------------------------------------
    def _choose_profiles(self, year: int, cur: np.ndarray) -> None:
        rng = self.rng
        t, lj = self.track[cur], self.lj[cur]
        level = PROFILE_LEVEL[self.profile[cur]]
        need_vmbo = (t <= GL) & (lj >= 3) & (level != 1)
        need_tl = (t == TL) & (lj >= 3) & (level != 2)
        need_hv = (t >= HAVO) & (lj >= 4) & (level != 3)

        deciders = cur[need_vmbo | need_tl]
        if deciders.size:
            g, tt = self.gender[deciders], self.track[deciders]
            odds = self.world.school_tech[self.school[deciders]] * TRACK_TECH_FACTOR[tt]
            odds = odds / odds.mean()
            share, girls = technical_share_target(year), girls_technical_share(year)
            boys = (share - GENDER_P[V] * girls - GENDER_P[X] * share) / GENDER_P[M]
            base = np.array([boys, girls, share])[g]
            tech = _exact_draw(rng, np.minimum(base * odds, 0.95), g)
            chosen = np.zeros(deciders.size, dtype=np.int8)
            is_tl = tt == TL
            for in_tl in (False, True):
                for in_tech in (False, True):
                    for gender in (M, V, X):
                        sel = np.flatnonzero((is_tl == in_tl) & (tech == in_tech) & (g == gender))
                        if not sel.size:
                            continue
                        if in_tl and in_tech:
                            chosen[sel] = P["TL_TECHNIEK"]
                            continue
                        options, table = {
                            (False, True): (VMBO_TECH, VMBO_TECH_W),
                            (False, False): (VMBO_OTHER, VMBO_OTHER_W),
                            (True, False): (TL_OTHER, TL_OTHER_W),
                        }[(in_tl, in_tech)]
                        chosen[sel] = options[rng.choice(options.size, sel.size, p=_weights(table, gender))]
            self.profile[deciders] = chosen

        deciders = cur[need_hv]
        if deciders.size:
            g, tt = self.gender[deciders], self.track[deciders]
            chosen = np.zeros(deciders.size, dtype=np.int8)
            for track in (HAVO, VWO):
                for gender in (M, V, X):
                    sel = np.flatnonzero((tt == track) & (g == gender))
                    if sel.size:
                        table = (HV_W[(track, M)], HV_W[(track, V)])
                        chosen[sel] = HV[rng.choice(HV.size, sel.size, p=_weights(table, gender))]
            self.profile[deciders] = chosen

    # -- moving on to the next school year --------------------------------------------------
    def _advance(self, year, cur, t, lj, exam, passed) -> np.ndarray:
        rng, n = self.rng, cur.size
        u = rng.random(n)
        to_havo = passed & (t == TL) & (rng.random(n) < 0.12)
        failed = exam & ~passed
        failed_stay = failed & (u < 0.7)
        failed_leave = failed & ~failed_stay
        regular = ~exam
        leave = regular & (u < 0.012)
        repeat = regular & ~leave & (u < 0.012 + np.where(lj == 1, 0.015, 0.035))
        advance = regular & ~leave & ~repeat

        self._destinations(year, cur[passed & ~to_havo])
        self._failed_leavers(year, cur[failed_leave])

        self.lj[cur[advance]] += 1
        d = rng.random(n)
        lower = advance & (lj <= 2)
        self.track[cur[lower & (t == HAVO) & (d < 0.03)]] = TL
        self.track[cur[lower & (t == VWO) & (d < 0.04)]] = HAVO
        moved = cur[to_havo]
        self.track[moved] = HAVO
        self.lj[moved] = 4
        self.profile[moved] = 0

        stay = to_havo | failed_stay | repeat | advance
        change = (rng.random(n) < 0.02)[stay]
        nxt = cur[stay]
        need = change | ~self.world.offers[self.school[nxt], self.track[nxt]]
        self.school[nxt[need]] = self._pick_school(self.track[nxt[need]])
        return nxt

    def _pick_school(self, tracks: np.ndarray) -> np.ndarray:
        out = np.zeros(tracks.size, dtype=np.int32)
        for track in range(6):
            sel = np.flatnonzero(tracks == track)
            if sel.size:
                weights = self.world.intake[:, track]
                out[sel] = self.rng.choice(weights.size, sel.size, p=weights / weights.sum())
        return out

    # -- follow-up education ----------------------------------------------------------------
    def _destinations(self, year: int, grads: np.ndarray) -> None:
        """Graduates of school year `year`: enrolments on 1 October of year+1."""
        rng, start = self.rng, year + 1
        t, prof, g, school = self.track[grads], self.profile[grads], self.gender[grads], self.school[grads]

        vm = np.flatnonzero(t <= TL)
        if vm.size:
            to_mbo = rng.random(vm.size) >= 0.035  # the rest: not found in any file
            tech_prof = PROFILE_TECH[prof[vm]]
            p_tech = np.where(
                tech_prof,
                np.where(g[vm] == V, 0.60, 0.72),
                np.where(g[vm] == V, 0.05, 0.13) + 0.06 * (prof[vm] == P["D&P"]),
            )
            tech = rng.random(vm.size) < p_tech
            level = self._mbo_levels(t[vm])
            sel = vm[to_mbo]
            self._mbo_enrol(grads[sel], start, tech[to_mbo], level[to_mbo], school[sel])

        for track, p_wo, p_hbo, p_mbo in ((HAVO, 0.04 * 0.84, 0.84, 0.91), (VWO, 0.72, 0.89, 0.90)):
            sel = np.flatnonzero(t == track)
            if not sel.size:
                continue
            u = rng.random(sel.size)
            tech_ho = rng.random(sel.size) < HO_TECH_P[prof[sel]]
            to_ho = u < p_hbo
            wo = u < p_wo
            self._ho_enrol(grads[sel[to_ho]], start, wo[to_ho], tech_ho[to_ho])
            to_mbo = ~to_ho & (u < p_mbo)
            tech_mbo = rng.random(sel.size) < np.where(PROFILE_LEVEL[prof[sel]] == 3, np.where(HO_TECH_P[prof[sel]] > 0.3, 0.35, 0.08), 0.1)
            self._mbo_enrol(grads[sel[to_mbo]], start, tech_mbo[to_mbo], np.full(int(to_mbo.sum()), 4, dtype=np.int8), school[sel[to_mbo]])

    def _failed_leavers(self, year: int, ids: np.ndarray) -> None:
        if not ids.size:
            return
        rng = self.rng
        go = rng.random(ids.size) < 0.5
        ids = ids[go]
        t, prof = self.track[ids], self.profile[ids]
        tech = rng.random(ids.size) < np.where(PROFILE_TECH[prof], 0.6, 0.1)
        level = np.where(t <= KB, np.where(rng.random(ids.size) < 0.3, 1, 2), np.where(t <= TL, 2, 4)).astype(np.int8)
        self._mbo_enrol(ids, year + 1, tech, level, self.school[ids])

    def _mbo_levels(self, tracks: np.ndarray) -> np.ndarray:
        level = np.zeros(tracks.size, dtype=np.int8)
        for track, p in MBO_LEVEL_P.items():
            sel = np.flatnonzero(tracks == track)
            if sel.size:
                level[sel] = self.rng.choice(4, sel.size, p=p) + 1
        return level

    def _mbo_enrol(self, pupils, start, tech, level, school, depth: int = 0) -> None:
        n = pupils.size
        if not n:
            return
        rng, w = self.rng, self.world
        start = np.broadcast_to(np.asarray(start, dtype=np.int16), n)
        level = np.where(tech & (level < 2), 2, level).astype(np.int8)
        programme = self._mbo_programmes(tech, level)
        home, techcol = w.mbo_home[school], w.mbo_techcol[school]
        institution = np.where(tech & (rng.random(n) < 0.5), techcol, home)
        route = ((rng.random(n) < np.where(tech, 0.22, 0.10)) & (level >= 2)).astype(np.int8)  # 1 = BBL
        duration = np.choose(level - 1, [1, 2, 3, 3]).astype(np.int8) + ((level == 4) & (rng.random(n) < 0.45))
        stop = rng.random(n)
        duration = np.where(stop < 0.10, 1, np.where(stop < 0.15, np.minimum(duration, 2), duration)).astype(np.int8)
        completed = stop >= 0.15
        self.mbo.add(pupils, start, duration, institution, programme, route, False)

        dual = np.flatnonzero(rng.random(n) < 0.008)  # a second programme in the same year, of the other kind
        if dual.size:
            tech2 = ~tech[dual]
            programme2 = self._mbo_programmes(tech2, level[dual])
            institution2 = np.where(tech2 & (institution[dual] == home[dual]), techcol[dual], home[dual])
            self.mbo.add(pupils[dual], start[dual], np.ones(dual.size, np.int8), institution2, programme2, route[dual], True)

        if depth >= 2:
            return
        end = start + duration
        on = completed & (level == 2) & (rng.random(n) < 0.30)  # on to level 3 or 4
        if on.any():
            next_level = np.where(rng.random(int(on.sum())) < 0.8, 3, 4).astype(np.int8)
            next_tech = np.where(rng.random(int(on.sum())) < 0.9, tech[on], ~tech[on])
            self._mbo_enrol(pupils[on], end[on], next_tech, next_level, school[on], depth + 1)
        up = completed & (level == 4) & (rng.random(n) < 0.28)  # on to hbo
        if up.any():
            tech_ho = rng.random(int(up.sum())) < np.where(tech[up], 0.60, 0.07)
            self._ho_enrol(pupils[up], end[up], np.zeros(int(up.sum()), dtype=bool), tech_ho)

    def _mbo_programmes(self, tech: np.ndarray, level: np.ndarray) -> np.ndarray:
        programme = np.zeros(tech.size, dtype=np.int16)
        for is_tech in (False, True):
            for lv in (1, 2, 3, 4):
                sel = np.flatnonzero((tech == is_tech) & (level == lv))
                if sel.size:
                    options = MBO_BY[(is_tech, lv)]
                    programme[sel] = options[self.rng.integers(0, options.size, sel.size)]
        return programme

    def _ho_enrol(self, pupils, start, wo, tech) -> None:
        n = pupils.size
        if not n:
            return
        rng, w = self.rng, self.world
        start = np.broadcast_to(np.asarray(start, dtype=np.int16), n)
        programme = np.zeros(n, dtype=np.int16)
        for is_wo in (False, True):
            for is_tech in (False, True):
                sel = np.flatnonzero((wo == is_wo) & (tech == is_tech))
                if sel.size:
                    options = HO_BACHELORS[(is_wo, is_tech)]
                    programme[sel] = options[rng.integers(0, options.size, sel.size)]
        institution = np.where(wo, w.n_hbo + rng.integers(0, w.n_wo, n), rng.integers(0, w.n_hbo, n)).astype(np.int16)
        extra = rng.random(n) < np.where(wo, 0.25, 0.20)
        duration = np.where(HO_IS_AD[programme], 2, np.where(wo, 3, 4)) + extra
        stop = rng.random(n)
        duration = np.where(stop < 0.13, 1, duration).astype(np.int8)
        self.ho.add(pupils, start, duration, institution, programme, -1, False)
        master = wo & (stop >= 0.13) & (rng.random(n) < 0.7)
        if master.any():
            k = int(master.sum())
            self.ho.add(
                pupils[master],
                start[master] + duration[master],
                np.where(rng.random(k) < 0.55, 1, 2).astype(np.int8),
                institution[master],
                HO_MASTER_OF[programme[master]],
                -1,
                False,
            )

    def _outsiders(self, start: int, total_intake: float) -> None:
        """Students from outside the region: their keys never occur in vo."""
        rng, w = self.rng, self.world
        n = int(rng.poisson(w.outsider_mbo * total_intake))
        ids = np.arange(self.next_outsider, self.next_outsider + n, dtype=np.int64)
        self.next_outsider += n
        tech = rng.random(n) < 0.32
        level = (rng.choice(4, n, p=(0.05, 0.25, 0.30, 0.40)) + 1).astype(np.int8)
        school = rng.integers(0, w.intake.shape[0], n)
        self._mbo_enrol(ids, start, tech, level, school)
        n = int(rng.poisson(w.outsider_ho * total_intake))
        ids = np.arange(self.next_outsider, self.next_outsider + n, dtype=np.int64)
        self.next_outsider += n
        self._ho_enrol(ids, start, rng.random(n) < 0.4, rng.random(n) < 0.2)


class _Keys:
    """Stable 9-digit pupil keys (onderwijsnummer-like): a seeded permutation of the pupil index.

    A 4-round Feistel network on 30 bits with cycle walking is a bijection on [0, 900,000,000),
    so keys are unique, look random and need no lookup table.
    """

    MODULUS = 900_000_000
    HALF_BITS = 15
    MASK = (1 << 15) - 1

    def __init__(self, rng: np.random.Generator) -> None:
        self.round_keys = [int(k) for k in rng.integers(0, 1 << 31, 4)]

    def _permute(self, x: np.ndarray) -> np.ndarray:
        left, right = x >> self.HALF_BITS, x & self.MASK
        for key in self.round_keys:
            mixed = (((right ^ key) * 2654435761) >> 13) & self.MASK
            left, right = right, left ^ mixed
        return (left << self.HALF_BITS) | right

    def __call__(self, index: np.ndarray) -> np.ndarray:
        y = self._permute(np.asarray(index, dtype=np.int64))
        bad = y >= self.MODULUS
        while bad.any():
            y[bad] = self._permute(y[bad])
            bad = y >= self.MODULUS
        return 100_000_000 + y


def _year_ranges(enrolments: dict[str, np.ndarray], year: int) -> np.ndarray:
    start = enrolments["start"].astype(np.int32)
    return np.flatnonzero((start <= year) & (year < start + enrolments["duration"]))


# ---------------------------------------------------------------------------
# Reference data and the regio world
# ---------------------------------------------------------------------------

REFERENCE = DATA_DIR / "reference"

# Expected leerjaar-1 intake per school location and track (BB, KB, GL, TL, havo, vwo), and
# the relative odds of a technical vmbo profile. About 2,000 pupils per year group.
REGIO_SCHOOLS = {
    "31XA00": ((55, 65, 25, 95, 0, 0), 1.0),
    "31XB00": ((55, 60, 25, 55, 0, 0), 1.7),
    "31XC00": ((35, 45, 15, 80, 95, 70), 0.9),
    "31XC01": ((45, 45, 25, 0, 0, 0), 1.1),
    "31XD00": ((0, 0, 0, 0, 140, 115), 1.0),
    "31XE00": ((0, 0, 0, 0, 0, 130), 1.0),
    "31XF00": ((0, 0, 0, 105, 80, 0), 0.8),
    "31XG00": ((80, 60, 0, 0, 0, 0), 1.35),
    "31XH00": ((0, 0, 0, 0, 105, 95), 1.0),
    "31XJ00": ((0, 25, 15, 70, 50, 35), 0.85),
}
REGIO_MBO = ("25MA00", "25MB00")
REGIO_HBO = ("21HA00",)
REGIO_WO = ("21UA00",)


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _school_names() -> dict[str, str]:
    names = {row["school_id"]: row["name"] for row in _read_csv("schools.csv")}
    missing = [sid for sid in (*REGIO_SCHOOLS, *REGIO_MBO, *REGIO_HBO, *REGIO_WO) if sid not in names]
    if missing:
        raise UserError(f"De demoregio heeft deze scholen uit data/reference/schools.csv nodig, maar ze ontbreken: {', '.join(missing)}.")
    return names


def _profile_names() -> dict[str, str]:
    return {row["code"]: row["name"] for row in _read_csv("profiles.csv")}


def _regio_world(pupils_per_year: int) -> _World:
    intake = np.array([spec[0] for spec in REGIO_SCHOOLS.values()], dtype=float)
    intake *= pupils_per_year / intake.sum()
    n = intake.shape[0]
    return _World(
        first_year=2017,
        last_year=2025,
        burn_in=10,
        intake=intake,
        school_tech=np.array([spec[1] for spec in REGIO_SCHOOLS.values()]),
        mbo_home=np.zeros(n, dtype=np.int16),
        mbo_techcol=np.ones(n, dtype=np.int16),
        n_hbo=1,
        n_wo=1,
        outsider_mbo=0.06,
        outsider_ho=0.05,
    )


# ---------------------------------------------------------------------------
# The messy shapes of the regio vo files
# ---------------------------------------------------------------------------

EDU_VMBO_DASH = {BB: "VMBO-BB", KB: "VMBO-KB", GL: "VMBO-GL", TL: "VMBO-TL", HAVO: "HAVO", VWO: "VWO"}
TL_NAMES = {"TL_TECHNIEK": "Techniek", "TL_ZORG": "Zorg en welzijn", "TL_ECONOMIE": "Economie", "TL_LANDBOUW": "Landbouw"}
TL_SECTOR_NAMES = {"TL_TECHNIEK": "Sector techniek", "TL_ZORG": "Sector zorg en welzijn", "TL_ECONOMIE": "Sector economie", "TL_LANDBOUW": "Sector landbouw"}
TL_SHORT = {"TL_TECHNIEK": "tech", "TL_ZORG": "zorg", "TL_ECONOMIE": "eco", "TL_LANDBOUW": "landbouw"}

GENDER_STYLES = {
    "M/V/X": ("M", "V", "X"),
    "m/v/x": ("m", "v", "x"),
    "man/vrouw/anders": ("man", "vrouw", "anders"),
    "jongen/meisje/anders": ("jongen", "meisje", "anders"),
}


@dataclass(frozen=True)
class Shape:
    """How one export file looks. `columns` maps each header to the field it carries."""

    school_id: str
    delimiter: str
    encoding: str  # 'utf-8', 'utf-8-sig' (with BOM) or 'cp1252'
    line_end: str
    columns: tuple[tuple[str, str], ...]
    year_format: str  # '2023-2024', '2023/2024', '2023-24', '23-24' or '2023'
    education: dict
    profile_style: str  # 'code' or 'name'
    tl_labels: dict
    gender_style: str
    diploma: tuple[str, str]  # (passed, failed); empty outside exam years
    quote_all: bool = False
    title: str | None = None
    klas_style: str = ""  # 'letter' -> '3B'; 'hv' -> '4H' / '5V'
    trailing_empty: int = 0


VO_SHAPES = (
    Shape(
        "31XA00", ";", "utf-8", "\n",
        (("leerlingnummer", "key"), ("schooljaar", "year"), ("brin", "brin"), ("vestigingsnummer", "vestiging"), ("schoolnaam", "name"),
         ("onderwijstype", "education"), ("leerjaar", "leerjaar"), ("profiel", "profile"), ("geslacht", "gender"), ("diploma", "diploma")),
        "2023-2024", EDU_VMBO_DASH, "code", TL_NAMES, "M/V/X", ("ja", "nee"),
    ),
    Shape(
        "31XB00", ",", "utf-8-sig", "\r\n",
        (("llnr", "key"), ("teljaar", "year"), ("brinvestiging", "school"), ("vestigingsnaam", "name"), ("leerweg", "education"),
         ("klas", "klas"), ("profielnaam", "profile"), ("sekse", "gender"), ("geslaagd", "diploma")),
        "2023/2024", {BB: "BB", KB: "KB", GL: "GL", TL: "TL", HAVO: "HAVO", VWO: "VWO"}, "name", TL_SECTOR_NAMES,
        "man/vrouw/anders", ("J", "N"), quote_all=True, klas_style="letter",
    ),
    Shape(
        "31XC00", "\t", "cp1252", "\r\n",
        (("pgn", "key"), ("peiljaar", "year"), ("vestigingscode", "school"), ("instellingsnaam", "name"), ("afdeling", "education"),
         ("jaarlaag", "leerjaar"), ("profielcode", "profile"), ("geslacht", "gender"), ("uitslag", "diploma")),
        "2023-24",
        {BB: "basisberoepsgerichte leerweg", KB: "kaderberoepsgerichte leerweg", GL: "gemengde leerweg", TL: "theoretische leerweg",
         HAVO: "havo", VWO: "atheneum"},
        "code", TL_SHORT, "jongen/meisje/anders", ("geslaagd", "afgewezen"),
    ),
    Shape(
        "31XC01", "|", "cp1252", "\n",
        (("onderwijsnummer", "key"), ("schooljaar", "year"), ("brin", "brin"), ("vestiging", "vestiging"), ("naam_school", "name"),
         ("niveau", "education"), ("leerjaar", "leerjaar"), ("sector", "profile"), ("geslacht", "gender"), ("diploma", "diploma")),
        "23-24", {BB: "vmbo bb", KB: "vmbo kb", GL: "vmbo gl", TL: "vmbo tl", HAVO: "havo", VWO: "vwo"}, "code", TL_NAMES,
        "m/v/x", ("1", "0"),
    ),
    Shape(
        "31XD00", ";", "utf-8-sig", "\r\n",
        (("Leerlingnummer", "key"), ("Schooljaar", "year"), ("BRIN", "brin"), ("Vestiging", "vestiging"), ("Schoolnaam", "name"),
         ("Afdeling", "education"), ("Leerjaar", "leerjaar"), ("Profiel", "profile"), ("Geslacht", "gender"), ("Diploma", "diploma")),
        "2023", EDU_VMBO_DASH, "name", TL_SECTOR_NAMES, "M/V/X", ("ja", "nee"),
        title="Export Magister – leerlingen per teldatum 1 oktober",
    ),
    Shape(
        "31XE00", ",", "utf-8", "\n",
        (("leerling_id", "key"), ("roepnaam", "first_name"), ("achternaam", "last_name"), ("geboortedatum", "birth_date"),
         ("school_year", "year"), ("school_id", "school"), ("schoolnaam", "name"), ("opleiding", "education"), ("leerjaar", "leerjaar"),
         ("profiel", "profile"), ("gender", "gender"), ("examenuitslag", "diploma")),
        "2023-2024", {**EDU_VMBO_DASH, HAVO: "havo", VWO: "gymnasium"}, "code", TL_NAMES, "M/V/X", ("geslaagd", "gezakt"),
    ),
    Shape(
        "31XF00", "\t", "utf-8", "\n",
        (("studentnummer", "key"), ("teljaar", "year"), ("brinvest", "school"), ("schoolnaam", "name"), ("schoolsoort", "education"),
         ("leerjaar", "leerjaar"), ("richting", "profile"), ("geslacht", "gender"), ("diploma", "diploma")),
        "2023/2024", {**EDU_VMBO_DASH, TL: "mavo", HAVO: "havo"}, "name", TL_NAMES, "jongen/meisje/anders", ("ja", "nee"),
    ),
    Shape(
        "31XG00", ";", "utf-8", "\n",
        (("LLNR", "key"), ("Schooljaar", "year"), ("BRIN", "brin"), ("Vestnr", "vestiging"), ("Leerweg", "education"),
         ("Leerjaar", "leerjaar"), ("Profiel", "profile"), ("Geslacht", "gender"), ("Diploma", "diploma")),
        "2023-2024", {BB: "BL", KB: "KL", GL: "GL", TL: "TL", HAVO: "HAVO", VWO: "VWO"}, "code", TL_NAMES, "M/V/X", ("J", "N"),
        trailing_empty=2,
    ),
    Shape(
        "31XH00", "|", "utf-8-sig", "\r\n",
        (("ll_nr", "key"), ("peiljaar", "year"), ("brin_vestiging", "school"), ("schoolnaam", "name"), ("afdeling", "education"),
         ("klas", "klas"), ("profiel", "profile"), ("sekse", "gender"), ("uitslag", "diploma")),
        "23-24", {**EDU_VMBO_DASH, VWO: "atheneum"}, "code", TL_NAMES, "M/V/X", ("ja", "nee"), klas_style="hv",
    ),
    Shape(
        "31XJ00", ",", "cp1252", "\n",
        (("leerlingnummer", "key"), ("schooljaar", "year"), ("school", "school"), ("instellingsnaam", "name"), ("onderwijstype", "education"),
         ("jaarlaag", "leerjaar"), ("profielnaam", "profile"), ("geslacht", "gender"), ("diploma", "diploma")),
        "2023", EDU_VMBO_DASH, "name", TL_SECTOR_NAMES, "man/vrouw/anders", ("1", "0"), quote_all=True,
    ),
)  # fmt: skip

# Where the deliberate problems go (school id -> kind, count).
PROBLEM_PLAN = {
    "onbekend_profiel": ("31XA00", 3),
    "dubbele_leerling": ("31XC01", 2),
    "lege_regel": ("31XH00", 3),
}
IDENTIFYING_SCHOOL = "31XE00"
UNKNOWN_PROFILE = "XYZ"

FIRST_NAMES = (
    ("Daan", "Sem", "Finn", "Luuk", "Milan", "Levi", "Noah", "Jesse", "Thijs", "Bram", "Ruben", "Lars", "Stijn", "Mees", "Julian", "Ravi",
     "Yusuf", "Mohamed", "Tim", "Gijs"),
    ("Emma", "Julia", "Sophie", "Lotte", "Fleur", "Anna", "Sara", "Noor", "Lieke", "Eva", "Isa", "Zoë", "Fenna", "Tess", "Yasmina", "Amira",
     "Mila", "Roos", "Nina", "Chloë"),
)  # fmt: skip
LAST_NAMES = (
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
    "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Kok", "Jacobs", "Vermeulen",
    "van den Berg", "Kramer", "van Dijk", "Yilmaz", "El Amrani", "Koç", "Schouten", "Post", "Kuiper", "Willems", "Hoekstra",
)  # fmt: skip


def _format_year(year: int, style: str) -> str:
    return {
        "2023-2024": f"{year}-{year + 1}",
        "2023/2024": f"{year}/{year + 1}",
        "2023-24": f"{year}-{(year + 1) % 100:02d}",
        "23-24": f"{year % 100:02d}-{(year + 1) % 100:02d}",
        "2023": f"{year}",
    }[style]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    out, dash = [], False
    for ch in ascii_text:
        if ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash:
            out.append("_")
            dash = True
    return "".join(out).strip("_")


def _cell(value: str, delimiter: str, quote_all: bool) -> str:
    if quote_all or delimiter in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _join(values: list[str], delimiter: str, quote_all: bool) -> str:
    return delimiter.join(_cell(v, delimiter, quote_all) for v in values)


@dataclass
class _Written:
    """A file assembled in memory, with its manifest entry."""

    path: str
    data: bytes
    entry: dict


def _assemble(lines: list[str], line_end: str, encoding: str) -> bytes:
    text = "".join(line + line_end for line in lines)
    return text.encode(encoding)


def _profile_label(code: str, shape: Shape, names: dict[str, str]) -> str:
    if not code:
        return ""
    if code in shape.tl_labels:
        return shape.tl_labels[code]
    return names[code] if shape.profile_style == "name" else code


def _vo_school_file(shape, rows, keys, school_name, profile_names, sim, rng) -> tuple[_Written, list[dict], set[int]]:
    """One vo school's export over all years. Returns the file, its problems and the rows made unknown."""
    order = np.lexsort((keys(rows["pupil"]), rows["track"], rows["leerjaar"], rows["year"]))
    rows = {k: v[order] for k, v in rows.items()}
    n = rows["pupil"].size
    key_str = keys(rows["pupil"]).astype(str)
    gender_labels = GENDER_STYLES[shape.gender_style]
    profile_labels = [_profile_label(code, shape, profile_names) for code in PROFILES]
    year_labels = {y: _format_year(y, shape.year_format) for y in np.unique(rows["year"]).tolist()}
    brin, vestiging = shape.school_id[:4], shape.school_id[4:]
    class_letters = np.array(list("ABCD"))[rng.integers(0, 4, n)]
    fields = [field for _header, field in shape.columns]

    unknown_rows: set[int] = set()
    if PROBLEM_PLAN["onbekend_profiel"][0] == shape.school_id:
        eligible = np.flatnonzero((rows["track"] <= GL) & (rows["leerjaar"] == 3))
        unknown_rows = set(rng.choice(eligible, PROBLEM_PLAN["onbekend_profiel"][1], replace=False).tolist())

    identifying = {}
    if "first_name" in fields:
        pupils = np.unique(rows["pupil"])
        first = rng.integers(0, len(FIRST_NAMES[0]), pupils.size)
        last = rng.integers(0, len(LAST_NAMES), pupils.size)
        day = rng.integers(0, 365, pupils.size)
        for pupil, f, la, d in zip(pupils.tolist(), first.tolist(), last.tolist(), day.tolist(), strict=True):
            gender = int(sim.gender[pupil])
            first_name = FIRST_NAMES[gender if gender < 2 else (f % 2)][f]
            born = np.datetime64(f"{int(sim.intake_year[pupil]) - 13}-10-01") + np.timedelta64(d, "D")
            yyyy, mm, dd = str(born).split("-")
            identifying[pupil] = (first_name, LAST_NAMES[la], f"{dd}-{mm}-{yyyy}")

    lines: list[str] = []
    for i in range(n):
        track, lj, year = int(rows["track"][i]), int(rows["leerjaar"][i]), int(rows["year"][i])
        diploma = int(rows["diploma"][i])
        values = []
        for field in fields:
            if field == "key":
                values.append(key_str[i])
            elif field == "year":
                values.append(year_labels[year])
            elif field == "brin":
                values.append(brin)
            elif field == "vestiging":
                values.append(vestiging)
            elif field == "school":
                values.append(shape.school_id)
            elif field == "name":
                values.append(school_name)
            elif field == "education":
                values.append(shape.education[track])
            elif field == "leerjaar":
                values.append(str(lj))
            elif field == "klas":
                suffix = ("H" if track == HAVO else "V") if shape.klas_style == "hv" and track >= HAVO else class_letters[i]
                values.append(f"{lj}{suffix}")
            elif field == "profile":
                values.append(UNKNOWN_PROFILE if i in unknown_rows else profile_labels[int(rows["profile"][i])])
            elif field == "gender":
                values.append(gender_labels[int(rows["gender"][i])])
            elif field == "diploma":
                values.append("" if diploma < 0 else shape.diploma[0] if diploma else shape.diploma[1])
            elif field in ("first_name", "last_name", "birth_date"):
                values.append(identifying[int(rows["pupil"][i])][("first_name", "last_name", "birth_date").index(field)])
            else:  # pragma: no cover - a typo in VO_SHAPES
                raise AssertionError(field)
        values.extend([""] * shape.trailing_empty)
        lines.append(_join(values, shape.delimiter, shape.quote_all))

    header = _join([h for h, _f in shape.columns] + [""] * shape.trailing_empty, shape.delimiter, False)
    head = ([shape.title] if shape.title else []) + [header]
    data_lines: list[str] = list(lines)
    problems: list[dict] = []
    offset = len(head)  # line number of data row i is offset + i + 1

    if unknown_rows:
        problems.append(
            {"kind": "onbekend_profiel", "count": len(unknown_rows), "lines": sorted(offset + i + 1 for i in unknown_rows),
             "value": UNKNOWN_PROFILE,
             "toelichting": f"Profielcode '{UNKNOWN_PROFILE}' bestaat niet; de rest van de regel is geldig."}
        )  # fmt: skip

    if PROBLEM_PLAN["dubbele_leerling"][0] == shape.school_id:
        count = PROBLEM_PLAN["dubbele_leerling"][1]
        years = np.unique(rows["year"])
        chosen_years = np.sort(rng.choice(years, count, replace=False))
        inserts = []  # (position after which the copy goes, source row)
        for y in chosen_years.tolist():
            in_year = np.flatnonzero(rows["year"] == y)
            source = int(rng.choice(in_year))
            inserts.append((int(in_year[-1]), source))  # the copy closes that year's block
        for position, source in sorted(inserts, reverse=True):
            data_lines.insert(position + 1, lines[source])
        # Recompute line numbers of the copies after all insertions.
        dup_lines = [offset + position + 2 + k for k, (position, _source) in enumerate(sorted(inserts))]
        problems.append(
            {"kind": "dubbele_leerling", "count": count, "lines": dup_lines,
             "toelichting": "Dezelfde leerling staat twee keer in hetzelfde schooljaar (exact dezelfde regel); de genoemde regels zijn de kopieën."}
        )  # fmt: skip

    if PROBLEM_PLAN["lege_regel"][0] == shape.school_id:
        count = PROBLEM_PLAN["lege_regel"][1]
        positions = np.sort(rng.choice(np.arange(1, len(data_lines)), count, replace=False)).tolist()
        for position in reversed(positions):
            data_lines.insert(position, "")
        blank_lines = [offset + position + 1 + k for k, position in enumerate(positions)]
        problems.append(
            {"kind": "lege_regel", "count": count, "lines": blank_lines, "toelichting": "Lege regel midden in het bestand."}
        )  # fmt: skip

    identifying_columns = [h for h, f in shape.columns if f in ("first_name", "last_name", "birth_date")]
    if identifying_columns:
        problems.append(
            {"kind": "identificerende_kolom", "count": len(identifying_columns), "lines": [offset], "columns": identifying_columns,
             "toelichting": "Kolommen die een persoon identificeren (fictieve namen en geboortedata); de lader moet ze weglaten en dat melden."}
        )  # fmt: skip

    all_lines = head + data_lines
    data = _assemble(all_lines, shape.line_end, shape.encoding)
    name = f"vo/{shape.school_id}_{_slug(school_name)}.csv"
    entry = _shape_entry(name, "vo", shape.delimiter, shape.encoding, shape.line_end, shape.quote_all, shape.title, head[-1], shape.columns,
                         shape.year_format, data, n_rows=len(data_lines) - sum(1 for line in data_lines if not line))  # fmt: skip
    entry.update(
        {
            "school_id": shape.school_id,
            "school_name": school_name,
            "values": {
                "onderwijstype": sorted({shape.education[t] for t in np.unique(rows["track"]).tolist()}),
                "leerjaar": "klas (bijv. 3B, 4H, 5V)" if shape.klas_style else "getal 1-6",
                "profiel": "volledige namen" if shape.profile_style == "name" else "codes",
                "tl_sector": sorted(set(shape.tl_labels.values())),
                "geslacht": list(GENDER_STYLES[shape.gender_style]),
                "diploma": [*shape.diploma, "(leeg buiten examenjaren)"],
            },
            "trailing_empty_columns": shape.trailing_empty,
            "identifying_columns": identifying_columns,
        }
    )
    for problem in problems:
        problem["file"] = name
    return _Written(name, data, entry), problems, {int(order[i]) for i in unknown_rows}


def _shape_entry(name, kind, delimiter, encoding, line_end, quote_all, title, header_line, columns, year_format, data, n_rows) -> dict:
    return {
        "path": name,
        "kind": kind,
        "delimiter": delimiter,
        "delimiter_name": {";": "puntkomma", ",": "komma", "\t": "tab", "|": "pipe"}[delimiter],
        "encoding": "utf-8" if encoding == "utf-8-sig" else encoding,
        "bom": encoding == "utf-8-sig",
        "line_ending": "CRLF" if line_end == "\r\n" else "LF",
        "quoting": "alle velden" if quote_all else "waar nodig",
        "title_line": title,
        "header_line_number": 2 if title else 1,
        "header": [h for h, _f in columns],
        "fields": {h: f for h, f in columns},
        "year_format": year_format,
        "data_rows": n_rows,
        "lines": data.count(b"\n"),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


# mbo and ho files in the regio: cleaner, but each in its own shape.
MBO_SHAPES = {
    "25MA00": dict(
        delimiter=";", encoding="utf-8", line_end="\n", year_format="2023-2024",
        columns=(("studentnummer", "key"), ("schooljaar", "year"), ("instelling", "institution"), ("instellingsnaam", "institution_name"),
                 ("crebo", "code"), ("opleiding", "programme"), ("niveau", "level"), ("leerweg", "route"), ("sector", "sector")),
    ),
    "25MB00": dict(
        delimiter=",", encoding="utf-8-sig", line_end="\r\n", year_format="2023/2024",
        columns=(("deelnemernummer", "key"), ("studiejaar", "year"), ("brin", "institution"), ("crebocode", "code"),
                 ("kwalificatienaam", "programme"), ("kwalificatieniveau", "level"), ("bol_bbl", "route"), ("sectorkamer", "sector")),
    ),
}  # fmt: skip
HO_SHAPES = {
    "21HA00": dict(
        delimiter=";", encoding="utf-8", line_end="\n", year_format="2023-2024",
        columns=(("studentnummer", "key"), ("collegejaar", "year"), ("brin", "institution"), ("croho", "code"), ("opleidingsnaam", "programme"), ("type", "type"), ("croho_onderdeel", "sector")),
    ),
    "21UA00": dict(
        delimiter=",", encoding="utf-8", line_end="\n", year_format="2023",
        columns=(("student_id", "key"), ("collegejaar", "year"), ("instelling", "institution"), ("isat", "code"),
                 ("naam_opleiding", "programme"), ("soort", "type"), ("onderdeel", "sector")),
    ),
}  # fmt: skip
SBB_SPELLING_25MB = {"Techniek en gebouwde omgeving": "Techniek & gebouwde omgeving", "ICT en creatieve industrie": "ICT & creatieve industrie"}


def _follow_up_file(kind, institution_id, institution_name, shape, enrolments, inst_index, years, keys) -> _Written:
    rows_idx = []
    for year in years:
        sel = _year_ranges(enrolments, year)
        sel = sel[enrolments["institution"][sel] == inst_index]
        rows_idx.append((year, sel))
    lines = []
    for year, sel in rows_idx:
        pupil_keys = keys(enrolments["pupil"][sel])
        order = np.lexsort((enrolments["programme"][sel], pupil_keys))
        year_label = _format_year(year, shape["year_format"])
        for j in order.tolist():
            e = sel[j]
            programme = int(enrolments["programme"][e])
            values = []
            for _header, field in shape["columns"]:
                if field == "key":
                    values.append(str(pupil_keys[j]))
                elif field == "year":
                    values.append(year_label)
                elif field == "institution":
                    values.append(institution_id)
                elif field == "institution_name":
                    values.append(institution_name)
                elif kind == "mbo":
                    code, name, level, sector, _tech = MBO_PROGRAMMES[programme]
                    if institution_id == "25MB00":
                        sector = SBB_SPELLING_25MB.get(sector, sector)
                    values.append(
                        {"code": code, "programme": name, "level": str(level), "sector": sector,
                         "route": "BBL" if enrolments["route"][e] == 1 else "BOL"}[field]
                    )  # fmt: skip
                else:
                    code, name, _kind, ho_type, sector, _tech = HO_PROGRAMMES[programme]
                    values.append({"code": code, "programme": name, "type": ho_type, "sector": sector}[field])
            lines.append(_join(values, shape["delimiter"], False))
    header = _join([h for h, _f in shape["columns"]], shape["delimiter"], False)
    data = _assemble([header, *lines], shape["line_end"], shape["encoding"])
    name = f"{kind}/{institution_id}_{_slug(institution_name)}.csv"
    entry = _shape_entry(name, kind, shape["delimiter"], shape["encoding"], shape["line_end"], False, None, header, shape["columns"],
                         shape["year_format"], data, n_rows=len(lines))  # fmt: skip
    entry.update({"institution_id": institution_id, "institution_name": institution_name})
    return _Written(name, data, entry)


def _expected_inflow(vo_rows: dict[str, np.ndarray], unknown: set[int]) -> dict[str, dict]:
    """The vmbo inflow the files encode (docs/metrics.md, inflow), for checking loader and metrics."""
    keep = np.ones(vo_rows["pupil"].size, dtype=bool)
    keep[list(unknown)] = False
    sel = (vo_rows["track"] <= TL) & (vo_rows["leerjaar"] == 3) & keep
    out = {}
    for year in np.unique(vo_rows["year"]).tolist():
        in_year = sel & (vo_rows["year"] == year)
        pupils = int(in_year.sum())
        technical = int(PROFILE_TECH[vo_rows["profile"][in_year]].sum())
        out[_format_year(year, "2023-2024")] = {"pupils": pupils, "technical": technical, "share": round(technical / pupils, 4)}
    return out


def _write_regio(out: Path, seed: int, pupils_per_year: int) -> dict:
    seeds = np.random.SeedSequence(seed).spawn(3)
    rng_sim, rng_keys, rng_files = (np.random.default_rng(s) for s in seeds)
    names = _school_names()
    profile_names = _profile_names()
    world = _regio_world(pupils_per_year)
    parts: list[tuple[int, dict]] = []
    sim = _Simulation(world, rng_sim, lambda year, rows: parts.append((year, rows)))
    sim.run()
    keys = _Keys(rng_keys)

    vo_rows = {k: np.concatenate([rows[k] for _y, rows in parts]) for k in parts[0][1]}
    vo_rows["year"] = np.concatenate([np.full(rows["pupil"].size, y, dtype=np.int16) for y, rows in parts])
    school_ids = list(REGIO_SCHOOLS)
    written: list[_Written] = []
    problems: list[dict] = []
    unknown_global: set[int] = set()
    for shape in VO_SHAPES:
        index = np.flatnonzero(vo_rows["school"] == school_ids.index(shape.school_id))
        rows = {k: v[index] for k, v in vo_rows.items()}
        file, file_problems, unknown_local = _vo_school_file(shape, rows, keys, names[shape.school_id], profile_names, sim, rng_files)
        written.append(file)
        problems.extend(file_problems)
        unknown_global |= {int(index[i]) for i in unknown_local}

    years = list(range(world.first_year, world.last_year + 1))
    mbo = sim.mbo.arrays()
    ho = sim.ho.arrays()
    for i, inst in enumerate(REGIO_MBO):
        written.append(_follow_up_file("mbo", inst, names[inst], MBO_SHAPES[inst], mbo, i, years, keys))
    for i, inst in enumerate(REGIO_HBO + REGIO_WO):
        written.append(_follow_up_file("ho", inst, names[inst], HO_SHAPES[inst], ho, i, years, keys))

    for file in written:
        path = out / file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file.data)

    in_years = [_year_ranges(mbo, y) for y in years]
    dual_rows = int(sum(int(mbo["dual"][sel].sum()) for sel in in_years))
    outsiders_mbo = int(np.unique(mbo["pupil"][np.concatenate(in_years)][mbo["pupil"][np.concatenate(in_years)] >= sim.n_pupils]).size)
    ho_sel = np.concatenate([_year_ranges(ho, y) for y in years])
    outsiders_ho = int(np.unique(ho["pupil"][ho_sel][ho["pupil"][ho_sel] >= sim.n_pupils]).size)
    rows_by_kind = {kind: sum(f.entry["data_rows"] for f in written if f.entry["kind"] == kind) for kind in ("vo", "mbo", "ho")}
    problem_counts: dict[str, int] = {}
    for problem in problems:
        problem_counts[problem["kind"]] = problem_counts.get(problem["kind"], 0) + problem["count"]
    manifest = {
        "generator": "sto_metrics.demo",
        "seed": seed,
        "scale": "regio",
        "school_years": [_format_year(y, "2023-2024") for y in years],
        "note": (
            "Fictieve demoregio. Sleutels zijn verzonnen 9-cijferige nummers (dezelfde sleutel in vo, mbo en ho); namen en "
            "geboortedata zijn verzonnen; crebo- (99xxx) en crohocodes (98xxx) zijn fictief en verwijzen niet naar echte opleidingen. "
            "Regelnummers tellen vanaf 1 en omvatten titel- en kopregel."
        ),
        "files": [f.entry for f in written],
        "problems": problems,
        "problem_counts": problem_counts,
        "rows": rows_by_kind,
        "facts": {
            "vo_pupils": int(np.unique(vo_rows["pupil"]).size),
            "mbo_dual_enrolment_rows": dual_rows,
            "mbo_students_from_outside_region": outsiders_mbo,
            "ho_students_from_outside_region": outsiders_ho,
            "destinations_known_for_cohorts": [_format_year(y, "2023-2024") for y in years[:-1]],
            "destinations_not_yet_known_for_cohort": _format_year(years[-1], "2023-2024"),
            "expected_vmbo_inflow": _expected_inflow(vo_rows, unknown_global),
        },
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return {
        "out": str(out),
        "seed": seed,
        "scale": "regio",
        "files": {kind: sum(1 for f in written if f.entry["kind"] == kind) for kind in ("vo", "mbo", "ho")},
        "rows": rows_by_kind,
        "problems": problem_counts,
        "bytes": sum(len(f.data) for f in written),
    }


# ---------------------------------------------------------------------------
# Landelijk: national scale, one clean shape, per school year and kind
# ---------------------------------------------------------------------------

LANDELIJK_PUPILS_PER_YEAR = 210_000  # leerjaar-1 intake; about 1 million vo pupils per school year
CHUNK_ROWS = 250_000


def _canonical_headers() -> dict[str, dict[str, str]]:
    """Per kind, field -> the first (canonical) alias in column_aliases.csv."""
    out: dict[str, dict[str, str]] = {"vo": {}, "mbo": {}, "ho": {}}
    for row in _read_csv("column_aliases.csv"):
        first = row["aliases"].split("|")[0]
        for kind in out if row["kind"] == "*" else [row["kind"]]:
            out[kind].setdefault(row["field"], first)
    return out


def _location_ids(first_two: int, n: int) -> list[str]:
    """Fictional location ids: two digits, two letters, '00' (e.g. 40AB00)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [f"{first_two + i // 676:02d}{letters[i // 26 % 26]}{letters[i % 26]}00" for i in range(n)]


def _landelijk_world(rng: np.random.Generator, pupils_per_year: int) -> tuple[_World, list[str], list[str], list[str]]:
    n_schools = max(12, round(pupils_per_year / 140))
    kind = rng.choice(3, n_schools, p=(0.35, 0.30, 0.35))  # vmbo, havo/vwo, both
    patterns = np.array([(0.25, 0.28, 0.10, 0.37, 0, 0), (0, 0, 0, 0, 0.52, 0.48), (0.08, 0.12, 0.08, 0.32, 0.22, 0.18)])
    intake = patterns[kind] * rng.lognormal(0.0, 0.45, n_schools)[:, None] * rng.uniform(0.7, 1.3, (n_schools, 6))
    intake *= pupils_per_year / intake.sum()
    n_mbo = max(2, round(pupils_per_year / 3500))
    n_hbo, n_wo = max(1, round(pupils_per_year / 6000)), max(1, round(pupils_per_year / 15000))
    home = (np.arange(n_schools) % n_mbo).astype(np.int16)
    world = _World(
        first_year=2018,
        last_year=2025,
        burn_in=10,
        intake=intake,
        school_tech=rng.lognormal(0.0, 0.3, n_schools),
        mbo_home=home,
        mbo_techcol=((home + 1) % n_mbo).astype(np.int16),
        n_hbo=n_hbo,
        n_wo=n_wo,
        outsider_mbo=0.03,
        outsider_ho=0.05,
    )
    vo_ids = _location_ids(40, n_schools)
    mbo_ids = _location_ids(26, n_mbo)
    ho_ids = _location_ids(22, n_hbo) + _location_ids(23, n_wo)
    return world, vo_ids, mbo_ids, ho_ids


def _labelled(labels: list[str], codes: np.ndarray):
    """A pandas Categorical for `labels[codes]` (labels may repeat)."""
    import pandas as pd

    uniq, inverse = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes], categories=list(uniq))


def _write_chunked(path: Path, header: list[str], n: int, build: Callable[[slice], dict]) -> int:
    """Write `n` rows in chunks; `build(slice)` returns the columns of one chunk. Returns bytes written."""
    import pandas as pd

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(";".join(header) + "\n")
        for begin in range(0, n, CHUNK_ROWS):
            frame = pd.DataFrame(build(slice(begin, min(n, begin + CHUNK_ROWS))))
            frame.to_csv(handle, sep=";", header=False, index=False, lineterminator="\n")
    return path.stat().st_size


def _write_landelijk(out: Path, seed: int, pupils_per_year: int, progress: Callable[[str], None] | None) -> dict:
    seeds = np.random.SeedSequence(seed).spawn(3)
    rng_sim, rng_keys, rng_world = (np.random.default_rng(s) for s in seeds)
    world, vo_ids, mbo_ids, ho_ids = _landelijk_world(rng_world, pupils_per_year)
    keys = _Keys(rng_keys)
    headers = _canonical_headers()
    files: list[dict] = []

    def say(message: str) -> None:
        if progress:
            progress(message)

    vo_fields = ("pupil_key", "school_year", "school", "education", "leerjaar", "profile", "gender", "diploma")
    vo_header = [headers["vo"][f] for f in vo_fields]
    education = [EDU_VMBO_DASH[t] for t in range(6)]
    profiles = list(PROFILES)

    def emit_vo(year: int, rows: dict[str, np.ndarray]) -> None:
        label = _format_year(year, "2023-2024")
        n = rows["pupil"].size

        def build(part: slice) -> dict:
            return {
                "k": keys(rows["pupil"][part]),
                "y": label,
                "s": _labelled(vo_ids, rows["school"][part]),
                "e": _labelled(education, rows["track"][part]),
                "l": rows["leerjaar"][part],
                "p": _labelled(profiles, rows["profile"][part]),
                "g": _labelled(list(GENDERS), rows["gender"][part]),
                "d": _labelled(["", "nee", "ja"], rows["diploma"][part] + 1),
            }

        name = f"vo/vo_{label}.csv"
        size = _write_chunked(out / name, vo_header, n, build)
        files.append({"path": name, "kind": "vo", "school_year": label, "data_rows": n, "bytes": size})
        say(f"  vo {label}: {_nl(n)} rijen")

    sim = _Simulation(world, rng_sim, emit_vo)
    sim.run()

    years = list(range(world.first_year, world.last_year + 1))
    mbo, ho = sim.mbo.arrays(), sim.ho.arrays()
    mbo_fields = ("pupil_key", "school_year", "institution", "programme_code", "programme_name", "level", "route", "sector")
    ho_fields = ("pupil_key", "school_year", "institution", "programme_code", "programme_name", "ho_type", "sector")
    for kind, enrol, fields in (("mbo", mbo, mbo_fields), ("ho", ho, ho_fields)):
        header = [headers[kind][f] for f in fields]
        for year in years:
            label = _format_year(year, "2023-2024")
            sel = _year_ranges(enrol, year)
            sel = sel[np.lexsort((enrol["programme"][sel], enrol["pupil"][sel]))]

            def build(part: slice, sel=sel, kind=kind, enrol=enrol, label=label) -> dict:
                idx = sel[part]
                prog = enrol["programme"][idx]
                columns = {"k": keys(enrol["pupil"][idx]), "y": label}
                if kind == "mbo":
                    columns["i"] = _labelled(mbo_ids, enrol["institution"][idx])
                    columns["c"] = _labelled([p[0] for p in MBO_PROGRAMMES], prog)
                    columns["n"] = _labelled([p[1] for p in MBO_PROGRAMMES], prog)
                    columns["l"] = _labelled([str(p[2]) for p in MBO_PROGRAMMES], prog)
                    columns["r"] = _labelled(["BOL", "BBL"], enrol["route"][idx])
                    columns["s"] = _labelled([p[3] for p in MBO_PROGRAMMES], prog)
                else:
                    columns["i"] = _labelled(ho_ids, enrol["institution"][idx])
                    columns["c"] = _labelled([p[0] for p in HO_PROGRAMMES], prog)
                    columns["n"] = _labelled([p[1] for p in HO_PROGRAMMES], prog)
                    columns["t"] = _labelled([p[3] for p in HO_PROGRAMMES], prog)
                    columns["s"] = _labelled([p[4] for p in HO_PROGRAMMES], prog)
                return columns

            name = f"{kind}/{kind}_{label}.csv"
            size = _write_chunked(out / name, header, sel.size, build)
            files.append({"path": name, "kind": kind, "school_year": label, "data_rows": int(sel.size), "bytes": size})
            say(f"  {kind} {label}: {_nl(int(sel.size))} rijen")

    for entry in files:
        entry.update({"delimiter": ";", "encoding": "utf-8", "bom": False, "line_ending": "LF", "year_format": "2023-2024"})
    rows_by_kind = {kind: sum(f["data_rows"] for f in files if f["kind"] == kind) for kind in ("vo", "mbo", "ho")}
    manifest = {
        "generator": "sto_metrics.demo",
        "seed": seed,
        "scale": "landelijk",
        "pupils_per_year": pupils_per_year,
        "school_years": [_format_year(y, "2023-2024") for y in years],
        "note": (
            "Fictieve landelijke set voor prestatietests: één nette vorm (UTF-8, puntkomma, standaardkoppen uit column_aliases.csv), "
            "één bestand per soort en schooljaar. Scholen en instellingen staan niet in schools.csv; codes zijn fictief."
        ),
        "headers": {"vo": vo_header, "mbo": [headers["mbo"][f] for f in mbo_fields], "ho": [headers["ho"][f] for f in ho_fields]},
        "files": files,
        "problems": [],
        "problem_counts": {},
        "rows": rows_by_kind,
        "facts": {"vo_schools": len(vo_ids), "mbo_institutions": len(mbo_ids), "ho_institutions": len(ho_ids)},
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return {
        "out": str(out),
        "seed": seed,
        "scale": "landelijk",
        "files": {kind: sum(1 for f in files if f["kind"] == kind) for kind in ("vo", "mbo", "ho")},
        "rows": rows_by_kind,
        "problems": {},
        "bytes": sum(f["bytes"] for f in files),
    }


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def _nl(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _prepare_out(out: Path) -> None:
    """Refuse a file or a folder with foreign files; clear an earlier demo in the same folder."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is een bestaand bestand. Geef een map op (bestaand en leeg, of nieuw).")
    if out.is_dir():
        present = sorted(p for p in out.rglob("*") if p.is_file())
        if present:
            manifest = out / MANIFEST_NAME
            if not manifest.is_file():
                raise UserError(f"De map {out} is niet leeg en bevat geen eerdere demo (MANIFEST.json). Kies een lege of nieuwe map.")
            try:
                listed = {(out / entry["path"]).resolve() for entry in json.loads(manifest.read_text(encoding="utf-8"))["files"]}
            except (OSError, ValueError, KeyError, TypeError) as error:
                raise UserError(f"De map {out} bevat een onleesbaar MANIFEST.json. Kies een lege of nieuwe map.") from error
            foreign = [p for p in present if p.resolve() not in listed and p != manifest]
            if foreign:
                raise UserError(
                    f"De map {out} bevat {len(foreign)} bestand(en) die niet bij de eerdere demo horen (bijv. {foreign[0].name}). "
                    "Kies een lege of nieuwe map."
                )
            for path in present:
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def write_demo(
    out_dir: Path,
    seed: int = 2026,
    scale: str = "regio",
    *,
    pupils_per_year: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Write a synthetic region to `out_dir`; returns a summary (files, rows, problems by kind).

    `pupils_per_year` (leerjaar-1 intake) overrides the scale's size; meant for tests.
    """
    if scale not in SCALES:
        raise UserError(f"Onbekende schaal '{scale}'. Kies regio of landelijk.")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise UserError("--seed moet een geheel getal van 0 of groter zijn.")
    if pupils_per_year is not None and pupils_per_year < 100:
        raise UserError("Het aantal leerlingen per jaar moet minstens 100 zijn.")
    out = Path(out_dir)
    try:
        _prepare_out(out)
        if scale == "regio":
            return _write_regio(out, seed, pupils_per_year or 2000)
        return _write_landelijk(out, seed, pupils_per_year or LANDELIJK_PUPILS_PER_YEAR, progress)
    except PermissionError as error:
        raise UserError(f"Geen schrijfrechten in {out}. Kies een andere map.") from error
    except OSError as error:
        raise UserError(f"Kan de demobestanden niet schrijven in {out} ({error.strerror or 'schrijffout'}).") from error


def cli(args) -> int:
    """`python -m sto_metrics demo --out DIR [--seed N] [--scale regio|landelijk]`."""
    started = time.perf_counter()
    scale = getattr(args, "scale", "regio") or "regio"
    if scale == "landelijk":
        print(f"Landelijke demoset schrijven naar {args.out} (dit duurt enkele minuten) ...", flush=True)
    summary = write_demo(Path(args.out), seed=args.seed, scale=scale, progress=lambda m: print(m, flush=True))
    what = "Demoregio" if scale == "regio" else "Landelijke demoset"
    print(f"{what} geschreven naar {summary['out']} (seed {summary['seed']}, schaal {scale}):")
    for kind in ("vo", "mbo", "ho"):
        print(f"  {kind + ':':5}{summary['files'][kind]:4} bestanden, {_nl(summary['rows'][kind]):>11} rijen")
    if summary["problems"]:
        problems = ", ".join(f"{count}× {kind}" for kind, count in summary["problems"].items())
        print(f"  bewuste datafouten: {problems} (zie {MANIFEST_NAME})")
    print(f"  totaal {summary['bytes'] / 1e6:.1f} MB in {time.perf_counter() - started:.0f} s", file=sys.stdout)
    return 0
