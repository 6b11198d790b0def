"""analysis.indicators: what each index measures, the target rule, judgement indicators vs R."""
from __future__ import annotations

import math
import os

import numpy as np
import pytest
import yaml

from analysis import Design
from analysis.indicators import indicator_cells, indicator_questions, measures_of, option_matrix, shares
from analysis.table import Measure, TargetRef, target_for, targets_in_force

BANK = os.path.join(os.path.dirname(__file__), "..", "..", "questionnaires")


def content(instrument: str) -> dict:
    with open(os.path.join(BANK, instrument + ".yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


# What the overall index of every shipped instrument measures: (code, comparable with SIPAS 2023,
# words its Vietnamese label must contain).  A new file in questionnaires/ fails until listed here.
OVERALL = {
    "sipas2023-service": ("part:services", True, "Chỉ số hài lòng về phần dịch vụ"),
    "sipas2023-household": ("sipas", True, "SIPAS"),
    "sipas2017-service": ("part:services", False, "2017–2021"),
    "kiosk-quick": ("part:services", False, "3 mức"),
    "dossier-eval": (None, None, None),
    "health-inpatient": ("part:health", True, "nội trú"),
    "health-outpatient": ("part:health", True, "ngoại trú"),
    "education-preschool": ("part:education", True, "mầm non"),
    "education-primary": ("part:education", True, "tiểu học"),
    "education-secondary": ("part:education", True, "trung học"),
}


def test_every_shipped_questionnaire_is_classified():
    shipped = sorted(f[:-5] for f in os.listdir(BANK) if f.endswith(".yaml"))
    assert shipped == sorted(OVERALL)


@pytest.mark.parametrize("instrument", sorted(OVERALL))
def test_each_instrument_says_what_its_overall_index_measures(instrument):
    code, comparable, words = OVERALL[instrument]
    c = content(instrument)
    m = measures_of(c)
    if code is None:  # no index tree (per-dossier score): nothing to label
        assert "overall" not in m
        return
    overall = m["overall"]
    assert (overall.code, overall.comparable, overall.kind) == (code, comparable, "satisfaction")
    assert words in overall.label_vi and overall.label_en and overall.instrument == instrument
    assert "SIPAS" not in overall.label_vi or code == "sipas"  # only the policy + services index is "SIPAS"
    assert bool(overall.note_vi) == (not comparable) and bool(overall.note_en) == (not comparable)
    if not comparable:
        assert "không so sánh được với chỉ số SIPAS 2023" in overall.note_vi
        assert "not comparable with the SIPAS 2023 index" in overall.note_en
    index = c["index"]
    # every level of the tree has its measure, with the same comparability as the overall
    expected = {"overall", *("part:" + p for p in index["parts"]), *("element:" + e for e in index["elements"]),
                *("item:" + i for e in index["elements"].values() for i in e["items"])}
    assert set(m) == expected
    assert {x.comparable for x in m.values()} == {comparable}
    first = next(iter(index["elements"]))  # an element's measure is named by its code
    assert m["element:" + first].code == "element:" + first


def test_the_household_index_has_both_parts_and_the_service_point_index_only_the_services_part():
    household, service = measures_of(content("sipas2023-household")), measures_of(content("sipas2023-service"))
    assert household["part:policy"].label_vi == "Chỉ số hài lòng về phần chính sách"
    assert household["part:services"].label_vi == service["overall"].label_vi == "Chỉ số hài lòng về phần dịch vụ"
    assert service["overall"] is service["part:services"]


def test_judgement_indicators_and_needs_are_the_choice_questions_outside_the_index_tree():
    q = indicator_questions(content("sipas2023-household"))
    for code in ("HARASS", "INFORMAL", "INFO_CH", "INFO_FIT", "MODE1", "MODE2", "MODE3", "CHANNEL", "EXP"):
        assert q[code].measure.kind == "judgement" and q[code].measure.code == "question:" + code
    assert {c for c in q if q[c].measure.kind == "need"} == {"NEED%d" % k for k in range(1, 11)}
    assert q["HARASS"].options == (1, 2, 3, 8) and not q["HARASS"].multiple
    assert q["INFO_CH"].multiple and q["HARASS"].option_labels[3] == ("Có nhiều công chức", "Many officials do")
    assert q["MODE2"].options == (1, 2, 3, 4) and q["MODE2"].measure.label_vi.startswith("Cách thức nộp hồ sơ: ")
    not_indicators = {"ACC1", "OVR1", "CMT1", "SEX", "AGE", "ETHNIC", "EDU", "OCCUP"}
    assert not not_indicators & set(q)
    assert set(indicator_questions(content("kiosk-quick"))) == {"Q1_REASON", "Q2_REASON"}
    assert all(x.measure.comparable and not x.measure.note_vi for x in q.values())


@pytest.mark.parametrize("instrument", ["kiosk-quick", "sipas2017-service"])
def test_indicators_of_an_instrument_not_comparable_with_sipas_2023_say_so(instrument):
    q = indicator_questions(content(instrument))
    assert q, "the instrument has indicator questions"
    for x in q.values():
        assert not x.measure.comparable and x.measure.kind in ("judgement", "need")
        assert "không so sánh được với chỉ số SIPAS 2023" in x.measure.note_vi
        assert "not comparable with the SIPAS 2023 index" in x.measure.note_en
        assert x.measure.note_vi == measures_of(content(instrument))["overall"].note_vi
    assert indicator_questions(content("dossier-eval")) == {}  # its criteria make the per-dossier score


# --- the target rule ---------------------------------------------------------------------------
ROWS = [TargetRef(90.0, 2025, "tthc"), TargetRef(95.0, 2030, "tthc"), TargetRef(85.0, 2025, "tthc_sector", "land"),
        TargetRef(90.0, 2025, "service"), TargetRef(85.0, 2025, "public_service", "health"),
        TargetRef(85.0, 2025, "public_service", "education"), TargetRef(91.0, 2021, "province")]
SERVICES = Measure("part:services", "satisfaction", "Chỉ số hài lòng về phần dịch vụ", "Services part")
SIPAS = Measure("sipas", "satisfaction", "SIPAS", "SIPAS")


def in_force(year: int, rows=ROWS) -> dict:
    return targets_in_force(rows, year)


def test_a_services_part_index_is_held_to_the_procedures_target_never_to_a_sipas_one():
    t = in_force(2026)
    assert target_for(SERVICES, "", t, 2026).scope == "tthc"
    assert target_for(SERVICES, "", t, 2026).value == 90.0
    only_sipas = in_force(2026, [r for r in ROWS if r.scope in ("service", "province")])
    assert target_for(SERVICES, "", only_sipas, 2026) is None


def test_health_and_education_use_their_own_targets_land_its_sector_target_others_the_general_one():
    t = in_force(2025)
    assert (target_for(SERVICES, "health", t, 2025).scope, target_for(SERVICES, "health", t, 2025).value) \
        == ("public_service", 85.0)
    assert target_for(SERVICES, "education", t, 2025).sector_code == "education"
    assert target_for(SERVICES, "land", t, 2025).scope == "tthc_sector"
    assert target_for(SERVICES, "justice", t, 2025).scope == "tthc"
    assert target_for(SERVICES, "health", in_force(2025, ROWS[:3]), 2025).scope == "tthc"  # none seeded: general


def test_a_sipas_index_uses_the_provinces_target_of_that_year_else_the_service_target():
    assert target_for(SIPAS, "", in_force(2021), 2021).scope == "province"
    assert target_for(SIPAS, "", in_force(2025), 2025).scope == "service"  # 2021's own target is not 2025's
    assert target_for(SIPAS, "health", in_force(2025), 2025).scope == "service"


def test_numbers_not_comparable_with_sipas_2023_or_not_satisfaction_get_no_target():
    t = in_force(2025)
    kiosk = Measure("part:services", "satisfaction", "…", "…", comparable=False)
    assert target_for(kiosk, "", t, 2025) is None and target_for(kiosk, "land", t, 2025) is None
    for code, kind in (("part:policy", "satisfaction"), ("element:access", "satisfaction"),
                       ("item:ACC1", "satisfaction"), ("question:HARASS", "judgement")):
        assert target_for(Measure(code, kind, "", ""), "", t, 2025) is None
    assert target_for(None, "", t, 2025) is None


# --- judgement indicators against R ------------------------------------------------------------
# The data, in R (and the same arithmetic below):
#   i <- 1:60
#   df <- data.frame(i = i, stratum = i %% 3, w = 2 + (i * 7) %% 5)
#   df$N <- c(120, 150, 90)[df$stratum + 1]
#   df$agency <- ifelse(i %% 4 < 2, "a", "b")
#   h <- 1 + (i * i + i %/% 5) %% 4; h[h == 4] <- 8; h[i %% 7 == 0] <- 0   # 0 = not answered
#   df$h <- h
#   df$ch <- as.numeric(i %% 11 != 0)                                      # answered the multiple choice
#   df$ch1 <- df$ch * (i %% 3 == 1); df$ch6 <- df$ch * ((i * 3) %% 5 < 2)
#   d0 <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N, data = df)
#   d <- postStratify(d0, ~agency, data.frame(agency = c("a", "b"), Freq = c(200, 160)))
# Values in percent: 100 * svyciprop(...), 100 * sqrt(attr(., "var")), 100 * attr(., "ci"); df = degf(subset).
# R 4.2.2, survey 4.1.1.
# R: svyciprop(~I(h == 2), subset(d, h > 0), method = "logit")
HARASS_2_LOGIT = dict(value=16.666666666666707, se=4.6400776280779672, ci_low=9.2724952764575352,
                      ci_high=28.129080613902296, df=49)
# R: svyciprop(~I(h == 8), subset(d, h > 0), method = "logit")
HARASS_8_LOGIT = dict(value=18.290043290045276, se=4.8559572313140418, ci_low=10.435147532845884,
                      ci_high=30.072354527294149, df=49)
# R: svyciprop(~I(h == 2), subset(d, h > 0), method = "beta")
HARASS_2_BETA = dict(value=16.666666666666668, se=4.6400776280779672, ci_low=8.5164140468325371,
                     ci_high=28.078659553239294, df=49)
# R: svyciprop(~I(h == 2), subset(d, h > 0 & agency == "b"), method = "logit")
HARASS_2_B_LOGIT = dict(value=20.792079207920789, se=7.3142170770450168, ci_low=9.4812702452006299,
                        ci_high=39.681113840783667, df=23)
# R: svyciprop(~I(h == 1), subset(d, h > 0 & stratum == 0), method = "logit")
HARASS_1_S0_LOGIT = dict(value=29.430379746835722, se=11.079251379080183, ci_low=11.919648568931276,
                         ci_high=56.240213068365165, df=17)
# R: svyciprop(~ch1, subset(d, ch == 1), method = "logit")
CH1_LOGIT = dict(value=33.064516129057729, se=2.8128375867894793, ci_low=27.681775058524678,
                 ci_high=38.930485434133331, df=52)
# R: svyciprop(~ch6, subset(d, ch == 1 & agency == "a"), method = "logit")
CH6_A_LOGIT = dict(value=42.857142857145142, se=9.3952524803564579, ci_low=25.39221240725379,
                   ci_high=62.303215047258561, df=25)
# R: svyciprop(~ch6, subset(d, ch == 1 & agency == "a"), method = "mean")
CH6_A_MEAN = dict(value=42.857142857142854, se=9.3952524803564579, ci_low=23.507258160997687,
                  ci_high=62.207027553288022, df=25)
# R: svyciprop(~ch6, subset(d, ch == 1 & agency == "a"), method = "beta")
CH6_A_BETA = dict(value=42.857142857142854, se=9.3952524803564579, ci_low=23.872598504623294,
                  ci_high=63.518185546809171, df=25)


@pytest.fixture(scope="module")
def survey():
    i = np.arange(1, 61)
    stratum = i % 3
    agency = np.where(i % 4 < 2, "a", "b")
    d = Design(2 + (i * 7) % 5, strata=stratum, fpc=np.array([120, 150, 90])[stratum]).poststratify(
        agency, {"a": 200, "b": 160})
    h = 1 + (i * i + i // 5) % 4
    h[h == 4] = 8
    h[i % 7 == 0] = 0
    rows = np.flatnonzero(h > 0)
    harass = option_matrix(60, rows, h[rows], (1, 2, 3, 8))
    answered = i % 11 != 0
    pairs = [(r, code) for r in np.flatnonzero(answered) for code, chosen in
             ((1, i[r] % 3 == 1), (6, (i[r] * 3) % 5 < 2)) if chosen]
    pairs += [(r, 9) for r in np.flatnonzero(answered & ~(i % 3 == 1) & ~((i * 3) % 5 < 2))]  # "other" only
    rr, vv = zip(*pairs)
    channels = option_matrix(60, rr, vv, (1, 6, 9))
    return {"d": d, "agency": agency, "stratum": stratum, "harass": harass, "channels": channels}


def matches(est, golden, rel=1e-9):
    for field in ("value", "se", "ci_low", "ci_high"):
        assert getattr(est, field) == pytest.approx(golden[field], rel=rel), field
    assert est.df == golden["df"]


def test_single_choice_shares_match_svyciprop_overall_and_in_domains(survey):
    d, Y = survey["d"], survey["harass"]
    whole = shares(d, Y)
    matches(whole[1], HARASS_2_LOGIT)
    matches(whole[3], HARASS_8_LOGIT)
    matches(shares(d, Y, method="beta")[1], HARASS_2_BETA)
    matches(shares(d, Y, by=survey["agency"])["b"][1], HARASS_2_B_LOGIT)
    matches(shares(d, Y, by=survey["stratum"])[0][0], HARASS_1_S0_LOGIT)
    assert sum(e.value for e in whole) == pytest.approx(100.0)  # one answer each: the shares add up
    assert {e.n for e in whole} == {52}


def test_multiple_choice_shares_match_svyciprop_and_need_not_add_up(survey):
    d, Y = survey["d"], survey["channels"]
    matches(shares(d, Y)[0], CH1_LOGIT)
    by = shares(d, Y, by=survey["agency"], method="logit")
    matches(by["a"][1], CH6_A_LOGIT)
    matches(shares(d, Y, by=survey["agency"], method="mean")["a"][1], CH6_A_MEAN)
    matches(shares(d, Y, by=survey["agency"], method="beta")["a"][1], CH6_A_BETA)
    assert sum(e.value for e in shares(d, Y)) > 100.0  # several channels per respondent


def test_values_and_standard_errors_are_design_proportion_on_each_option(survey):
    d, Y = survey["d"], survey["harass"]
    for k, est in enumerate(shares(d, Y, by=survey["agency"])["a"]):
        ref = d.proportion(Y[:, k], by=survey["agency"])["a"]
        assert est.value == pytest.approx(100 * ref.value, rel=1e-12)
        assert est.se == pytest.approx(100 * ref.se, rel=1e-12) and est.n == ref.n


def test_a_question_nobody_answered_and_an_empty_domain_give_nan_not_an_error(survey):
    d = survey["d"]
    nobody = option_matrix(60, [], [], (1, 2))
    assert np.isnan(nobody).all()
    for est in shares(d, nobody):
        assert math.isnan(est.value) and math.isnan(est.se) and math.isnan(est.ci_low) and est.n == 0
    cells = indicator_cells(d, {"HARASS": _question((1, 2, 3, 8)), "NONE": _question((1, 2))},
                            {"HARASS": survey["harass"], "NONE": nobody},
                            {"overall": None, "agencies": np.where(survey["agency"] == "a", "a", None)},
                            lambda kind, k: (str(k), "vi %s" % k, "en %s" % k), min_n=30)
    whole = cells["overall"][""]
    assert math.isnan(whole.shares["NONE"][1].value) and "few_answers" in whole.flags["NONE"][1]
    assert whole.shares["HARASS"][2].n == 52 and whole.flags["HARASS"][1] == ()
    never = cells_never(d, survey)
    assert never.shares["ZERO"][2].value == 0 and never.shares["ZERO"][2].has_interval
    assert never.flags["ZERO"][2] == ()  # 0 of 60: its Clopper-Pearson interval says how precise, not an RSE
    assert never.flags["ZERO"][1] == ()
    assert set(cells["agencies"]) == {"a"}  # rows in no group are in no domain
    assert "few_answers" in cells["agencies"]["a"].flags["HARASS"][1]  # 26 answers < 30
    empty = indicator_cells(None, {"NONE": _question((1, 2))}, {}, {"overall": None, "agencies": survey["agency"]},
                            lambda kind, k: ("", "Toàn tỉnh", "Whole"))
    assert empty["agencies"] == {} and math.isnan(empty["overall"][""].shares["NONE"][2].value)


def cells_never(d, survey):
    """The whole sample's cell of a question everybody answered with option 1 (option 2: nobody)."""
    zero = option_matrix(60, np.arange(60), np.ones(60), (1, 2))
    return indicator_cells(d, {"ZERO": _question((1, 2))}, {"ZERO": zero}, {"overall": None},
                           lambda kind, k: ("", "Toàn tỉnh", "Whole"), min_n=30)["overall"][""]


def _question(options):
    from analysis.indicators import IndicatorQuestion

    return IndicatorQuestion("Q", Measure("question:Q", "judgement", "Q", "Q"), False, options,
                             {o: (str(o), str(o)) for o in options})


def test_a_health_or_education_instrument_is_held_to_its_own_public_service_target():
    health = Measure("part:health", "satisfaction", "Chỉ số hài lòng người bệnh", "Patient satisfaction")
    education = Measure("part:education", "satisfaction", "Chỉ số hài lòng cha mẹ", "Parent satisfaction")
    t = in_force(2025)
    assert (target_for(health, "", t, 2025).scope, target_for(health, "", t, 2025).sector_code) \
        == ("public_service", "health")
    assert target_for(education, "", t, 2025).sector_code == "education"
    # never the administrative-procedure target, even when it is the only one
    assert target_for(health, "", in_force(2025, ROWS[:3]), 2025) is None


def test_batched_indicator_cells_equal_design_proportion_cell_by_cell():
    # The batched path (one variance call for all questions of a grouping) against Design.proportion
    # on each (option, group) alone; every row answers, so the df of the answering rows is the group's.
    rng = np.random.default_rng(11)
    n = 3000
    stratum = rng.integers(0, 12, n)
    d = Design(rng.uniform(1, 4, n), strata=stratum).poststratify(stratum, {h: 400.0 for h in range(12)})
    agency = stratum // 3
    questions = {}
    matrices = {}
    for code, K in (("A", 3), ("B", 5)):
        Y = np.zeros((n, K))
        Y[np.arange(n), rng.integers(0, K, n)] = 1.0
        matrices[code] = Y
        questions[code] = type("Q", (), {"options": tuple(range(1, K + 1))})()
    cells = indicator_cells(d, questions, matrices, {"agencies": agency}, lambda kind, k: (str(k), "", ""))
    assert sorted(cells["agencies"]) == [0, 1, 2, 3]
    for code, Y in matrices.items():
        for k, option in enumerate(questions[code].options):
            direct = d.proportion(Y[:, k], by=agency)
            for g, est in direct.items():
                got = cells["agencies"][g].shares[code][option]
                assert got.value == pytest.approx(100 * est.value, rel=1e-12)
                assert got.se == pytest.approx(100 * est.se, rel=1e-12)
                assert got.ci_low == pytest.approx(100 * est.ci_low, rel=1e-12)
                assert (got.df, got.n) == (est.df, est.n)
