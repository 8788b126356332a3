"""The behavioural model both demo scales share, vectorised with numpy.

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

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

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
