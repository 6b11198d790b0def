"""Statistical disclosure control of microdata: every combination of quasi-identifiers has at least k rows."""
from __future__ import annotations

import csv
import io
import random
import uuid
from collections import Counter
from datetime import date, datetime

import pytest
from sqlalchemy import insert

from survey.models import Agency, Answer, Invitation, QuestionnaireVersion, Response, ServicePoint, Wave, WaveStratum
from survey.services.accounts.users import create_user
from survey.services.common.tokens import hash_token
from survey.services.questionnaires.bank import index_structure
from survey.services.workspace import exports, sdc
from tests.workspace.conftest import PASSWORD, sign_in

QI = ["stratum", "agency", "agency_level", "sector", "service_point", "outcome", "mode",
      "SEX", "AGE", "ETHNIC", "EDU", "OCCUP"]
PROFILE = {"SEX": [1, 2], "AGE": [1, 2, 3, 4, 5], "ETHNIC": [1, 1, 1, 1, 2], "EDU": [1, 2, 3, 4, 5, 6],
           "OCCUP": [1, 2, 3, 4, 5, 6, 7]}


def build_small_cells(session, world, seed: int = 11) -> Wave:
    """A closed wave over many small cells: eight communes under the district with 1–9 respondents each, a
    service point per commune, both answer modes, every outcome and all five profile questions answered."""
    rng = random.Random(seed)
    district, version = world["district"], world["wave"].questionnaire_version_id
    cells = [(world["land"], "land", 60, world["centre"]), (world["build"], "construction", 25, world["centre"]),
             (district, "land", 30, world["dcentre"]), (district, "civil_status", 14, world["dcentre"])]
    for i in range(8):
        commune = Agency(code="T-XN%d" % i, name_vi="Xã thử %d" % i, level="commune", parent_id=district.id)
        session.add(commune)
        session.flush()
        point = ServicePoint(code="T-BP%d" % i, name_vi="Bộ phận một cửa xã %d" % i, kind="commune_desk",
                             agency_id=commune.id)
        session.add(point)
        session.flush()
        cells.append((commune, "civil_status", 1 + i, point))
        if i % 3 == 0:
            cells.append((commune, "land", 1 + i // 3, point))
    wave = Wave(code="W-SMALL", name="Đợt nhiều ô nhỏ", period_start=date(2025, 10, 1), period_end=date(2025, 12, 31),
                questionnaire_version_id=version, seed="s", status="closed", design={"scheme": "agency_sector"},
                launched_at=datetime(2025, 10, 1), closed_at=datetime(2026, 1, 20))
    session.add(wave)
    session.flush()
    items = index_structure(session.get(QuestionnaireVersion, version).content)["items"]
    for agency, scode, n, point in cells:
        sector = world["sector:" + scode]
        stratum = WaveStratum(wave_id=wave.id, key="%s|%s" % (agency.code, scode), agency_id=agency.id,
                              sector_id=sector.id, pi=0.5, population=4 * n, population_prev=4 * n)
        session.add(stratum)
        session.flush()
        modes = ["kiosk" if rng.random() < 0.3 else "link" for _ in range(n)]
        inv_ids = session.execute(insert(Invitation.__table__).returning(Invitation.__table__.c.id,
                                                                         sort_by_parameter_order=True), [
            {"wave_id": wave.id, "stratum_id": stratum.id, "token_hash": hash_token(uuid.uuid4().hex), "pi": 0.5,
             "agency_id": agency.id, "sector_id": sector.id, "service_point_id": point.id,
             "outcome": rng.choice(["approved"] * 6 + ["rejected", "withdrawn"]), "channel": "link",
             "status": "completed", "expires_at": datetime(2026, 2, 1), "created_at": datetime(2025, 10, 2)}
            for _ in range(n)]).scalars().all()
        resp_ids = session.execute(insert(Response.__table__).returning(Response.__table__.c.id,
                                                                        sort_by_parameter_order=True), [
            {"uuid": str(uuid.UUID(int=rng.getrandbits(128))), "invitation_id": inv_ids[k],
             "questionnaire_version_id": version, "wave_id": wave.id, "agency_id": agency.id,
             "sector_id": sector.id, "service_point_id": point.id, "mode": modes[k], "probability_sample": True,
             "partial": False, "language": "vi", "submitted_at": datetime(2025, 11, 1)}
            for k in range(n)]).scalars().all()
        rows = []
        for rid in resp_ids:
            rows += [{"response_id": rid, "item_code": code, "value_int": rng.randint(1, 5), "value_text": None}
                     for code in items + ["OVR1"]]
            rows += [{"response_id": rid, "item_code": code, "value_int": rng.choice(values), "value_text": None}
                     for code, values in PROFILE.items()]
        session.execute(Answer.__table__.insert(), rows)
    session.flush()
    return wave


@pytest.fixture
def small(db_session, world):
    """The wave with many small cells (besides the workspace's usual wave)."""
    return build_small_cells(db_session, world)


def _classes(header: list[str], rows: list[list], columns: list[str]) -> Counter:
    idx = [header.index(c) for c in columns]
    return Counter(tuple("" if r[i] is None else str(r[i]) for i in idx) for r in rows)


def _csv(body: bytes) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))
    return rows[0], rows[1:]


def test_the_raw_microdata_of_small_cells_identifies_most_respondents(db_session, small):
    released = exports.release(db_session, small, k=1)   # k = 1: disclosure control off
    header = [v.name for v in released.variables]
    counts = _classes(header, released.rows, QI)
    unique = sum(1 for r in released.rows if counts[tuple("" if r[header.index(c)] is None else str(r[header.index(c)])
                                                          for c in QI)] == 1)
    assert unique / len(released.rows) > 0.5 and min(counts.values()) < 5


@pytest.mark.parametrize("k", [3, 5, 10])
def test_every_quasi_identifier_combination_of_an_export_has_at_least_k_rows(db_session, small, k):
    released = exports.release(db_session, small, k=k)
    header = [v.name for v in released.variables]
    assert len(released.rows) == sum(1 for _ in exports.release(db_session, small, k=1).rows)
    for columns in (QI, QI + [sdc.FLAG], ["stratum"]):
        assert min(_classes(header, released.rows, columns).values()) >= k, columns
    assert released.sdc.total_suppressed > 0 and released.sdc.strata_collapsed > 0


def test_the_analysts_and_the_viewers_downloads_are_k_anonymous(client, db_session, small, world, analyst):
    create_user(db_session, "xem.huyen", PASSWORD, "agency_viewer", agency_id=world["district"].id)
    for user in ("phan.tich", "xem.huyen"):
        sign_in(client, user)
        header, rows = _csv(client.get(f"/analyst/export/microdata.csv?wave={small.id}&csv=intl").data)
        assert rows and min(_classes(header, rows, QI + [sdc.FLAG]).values()) >= 5, user
        assert min(_classes(header, rows, QI).values()) >= 5, user
        client.get("/auth/logout")
    agencies = {r[header.index("agency")] for r in rows}
    assert agencies <= {"T-HCX", "khác", ""} | {"T-XN%d" % i for i in range(8)}  # the viewer: district subtree only


def test_weights_and_answers_stay_and_only_quasi_identifiers_are_withheld(db_session, small):
    plain, protected = exports.release(db_session, small, k=1), exports.release(db_session, small, k=5)
    names = [v.name for v in plain.variables]
    other = [i for i, n in enumerate(names) if n not in QI + ["row", "psu", "fpc", sdc.FLAG]]
    # The same respondents with the same weights and answers (rows are shuffled anew each time).
    assert sorted(tuple(r[i] for i in other) for r in plain.rows) == \
        sorted(tuple(r[i] for i in other) for r in protected.rows)
    total = sum(r[names.index("weight")] for r in protected.rows)
    assert total == pytest.approx(sum(r[names.index("weight")] for r in plain.rows))
    fpc = {r[names.index("stratum")]: r[names.index("fpc")] for r in protected.rows}
    assert sum(fpc.values()) == sum(4 * n for n in _cell_sizes(db_session, small))


def _cell_sizes(session, wave) -> list[int]:
    from sqlalchemy import select

    return [p // 4 for p in session.scalars(select(WaveStratum.population).where(WaveStratum.wave_id == wave.id))]


def test_the_same_export_is_reproducible(db_session, small):
    first, second = exports.release(db_session, small), exports.release(db_session, small)
    strip = [i for i, v in enumerate(first.variables) if v.name not in ("row", "psu")]
    assert sorted(repr([r[i] for i in strip]) for r in first.rows) == \
        sorted(repr([r[i] for i in strip]) for r in second.rows)
    assert first.sdc == second.sdc


def test_the_codebook_states_k_what_was_recoded_and_how_many_values_were_withheld(db_session, small):
    released = exports.release(db_session, small, k=5)
    text = exports.codebook(released.variables, "md", "Codebook", released.sdc).decode("utf-8")
    assert "k = 5" in text and "sdc_suppressed" in text
    assert "%d giá trị đã trả lời bị để trống" % released.sdc.total_suppressed in text
    recoded = released.sdc.recodes[0]
    assert "Mã hoá lại %s: %s → %s." % (recoded.variable, ", ".join(recoded.original), recoded.released) in text


def test_a_scope_with_fewer_than_k_respondents_releases_no_rows(db_session, small):
    from sqlalchemy import select

    commune = db_session.scalar(select(Agency).where(Agency.code == "T-XN0"))  # two respondents
    released = exports.release(db_session, small, {commune.id}, k=5)
    assert released.rows == [] and released.sdc.withheld_rows == 2


# The algorithm on its own: hand-made records, so each rule can be seen at work.

def _record(agency="A", sector="s", point="P", outcome="approved", mode="link", age=1, **extra) -> dict:
    return {"stratum": "%s|%s" % (agency, sector), "agency": agency, "sector": sector, "service_point": point,
            "outcome": outcome, "mode": mode, "AGE": age, "weight": 1.0, **extra}


AGE = sdc.Unit("AGE", ("AGE",), "ordered", {1: "18–24", 2: "25–34", 3: "35–49"})


def _protect(records, k=3, **kw):
    kw.setdefault("scheme", "agency_sector")
    kw.setdefault("agencies", {"A": "ROOT", "B": "ROOT", "ROOT": None})
    kw.setdefault("population", {})
    return sdc.protect(records, k=k, profile=[AGE], **kw)


def test_rare_age_bands_merge_with_their_smaller_neighbour_and_keep_a_label():
    out = _protect([_record(age=1)] * 5 + [_record(age=2)] * 1 + [_record(age=3)] * 4)
    assert Counter(r["AGE"] for r in out.records) == {1: 5, 2: 5}
    assert out.labels["AGE"] == {1: "18–24", 2: "25–34 / 35–49"}
    assert out.report.recodes == [sdc.Recode("AGE", ("2", "3"), "2")]


def test_a_small_stratum_is_collapsed_sector_first_then_into_the_parent_agency():
    records = [_record("A", "s")] * 4 + [_record("A", "t")] * 1 + [_record("B", "t")] * 2 + [_record("B", "s")] * 3
    out = _protect(records, population={"A|s": 40, "A|t": 10, "B|t": 20, "B|s": 30})
    assert Counter(r["stratum"] for r in out.records) == {"A|s": 4, "B|s": 3, "ROOT|khác": 3}
    assert out.fpc == {"A|s": 40, "B|s": 30, "ROOT|khác": 30}
    assert all(r["agency"] == "ROOT" and r["sector"] == "khác" for r in out.records if r["stratum"] == "ROOT|khác")


def test_rows_left_small_are_withheld_and_the_last_class_is_filled_up_to_k():
    records = [_record(point="P", age=1)] * 6 + [_record(point="Q", age=2, outcome="rejected")]
    out = _protect(records)
    classes = Counter(tuple(r[c] for c in ("service_point", "outcome", "mode", "AGE", sdc.FLAG)) for r in out.records)
    assert min(classes.values()) >= 3
    withheld = [r for r in out.records if r[sdc.FLAG]]
    assert len(withheld) == 3 and all(r["service_point"] is None and r["outcome"] is None for r in withheld)
    assert out.report.filled == 2


def test_the_result_does_not_depend_on_the_order_of_the_rows():
    rng = random.Random(3)
    records = [_record(rng.choice("AB"), rng.choice("st"), rng.choice("PQR"), rng.choice(["approved", "rejected"]),
                       rng.choice(["link", "kiosk"]), rng.randint(1, 3), item=rng.randint(1, 5)) for _ in range(80)]
    first = _protect(records, k=4)
    for _ in range(5):
        rng.shuffle(records)
        again = _protect(records, k=4)
        assert sorted(map(repr, again.records)) == sorted(map(repr, first.records)) and again.report == first.report


def test_k_of_one_releases_the_rows_unchanged():
    records = [_record(age=a) for a in (1, 2, 3)]
    out = _protect(records, k=1)
    assert [r["AGE"] for r in out.records] == [1, 2, 3] and not any(r[sdc.FLAG] for r in out.records)


@pytest.mark.parametrize("scheme", ["agency_sector", "agency", "sector"])
@pytest.mark.parametrize("k", [2, 5])
def test_every_scheme_gives_k_anonymous_rows_and_keeps_every_weight(scheme, k):
    rng = random.Random(k)
    tree = {"ROOT": None, "D1": "ROOT", "D2": "ROOT", "C1": "D1", "C2": "D1", "C3": "D2"}
    records = []
    for n in range(150):
        agency, sector = rng.choice(list(tree)), rng.choice("stuv")
        stratum = {"agency_sector": "%s|%s" % (agency, sector), "agency": "%s|*" % agency,
                   "sector": "*|%s" % sector}[scheme]
        records.append({**_record(agency, sector, rng.choice("PQRS"), rng.choice(["approved", "rejected"]),
                                  rng.choice(["link", "kiosk"]), rng.randint(1, 3)), "stratum": stratum,
                        "weight": float(n)})
    out = sdc.protect(records, k=k, scheme=scheme, agencies=tree, population={r["stratum"]: 10 for r in records},
                      profile=[AGE])
    columns = ["stratum", "agency", "sector", "service_point", "outcome", "mode", "AGE", sdc.FLAG]
    assert min(Counter(tuple(r[c] for c in columns) for r in out.records).values()) >= k
    assert min(Counter(r["stratum"] for r in out.records).values()) >= k
    assert sorted(r["weight"] for r in out.records) == [float(n) for n in range(150)]
    assert sum(out.fpc.values()) == 10 * len({r["stratum"] for r in records})
