"""Loading the bank into the database: immutable, content-hashed versions, all or nothing."""
from __future__ import annotations

import hashlib
import json
import shutil

import pytest
import yaml
from sqlalchemy import func, select

from survey import QUESTIONNAIRE_DIR
from survey.models import AuditLog, Questionnaire, QuestionnaireVersion
from survey.services.questionnaires.bank import (
    QuestionnaireError,
    get_version,
    index_structure,
    load_bank,
    load_file,
    load_paths,
)
from tests.questionnaires.conftest import MINI, mutate

INSTRUMENTS = {"dossier-eval", "kiosk-quick", "sipas2017-service", "sipas2023-household", "sipas2023-service",
               "health-inpatient", "health-outpatient", "education-preschool", "education-primary",
               "education-secondary"}


def _count(session, model=QuestionnaireVersion) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_the_whole_bank_loads_and_reloading_it_is_a_no_op(db_session):
    first = load_bank(db_session, QUESTIONNAIRE_DIR)
    assert {r.instrument for r in first} == INSTRUMENTS and {r.status for r in first} == {"loaded"}
    assert _count(db_session) == 10 and _count(db_session, Questionnaire) == 10
    again = load_bank(db_session)
    assert {r.status for r in again} == {"unchanged"}
    assert [r.version_id for r in again] == [r.version_id for r in first]
    assert _count(db_session) == 10


def test_stored_content_round_trips_and_its_hash_is_sha256_of_canonical_json(db_session):
    load_bank(db_session, QUESTIONNAIRE_DIR)
    db_session.expire_all()
    version = get_version(db_session, "sipas2023-service")
    with open(f"{QUESTIONNAIRE_DIR}/sipas2023-service.yaml", encoding="utf-8") as fh:
        parsed = yaml.safe_load(fh)
    assert version.content == parsed
    canonical = json.dumps(parsed, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert version.content_hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert version.source_file == "sipas2023-service.yaml"
    assert version.questionnaire.title_vi.startswith("Khảo sát sự hài lòng")
    # Column order comes from the lists, not from the JSON object order the database kept.
    assert index_structure(version.content)["items"][:3] == ["ACC1", "ACC2", "ACC3"]


def test_reformatting_a_file_without_changing_content_is_not_a_change(db_session, write):
    load_file(db_session, write(MINI))
    reordered = "# a comment\n" + mutate('title: {vi: "Thử nghiệm", en: "Test"}',
                                          'title:\n  en: "Test"\n  vi: "Thử nghiệm"')
    assert load_file(db_session, write(reordered)).status == "unchanged"


def test_changed_content_under_a_loaded_version_is_refused_and_nothing_is_written(db_session, tmp_path):
    bank_dir = tmp_path / "bank"
    shutil.copytree(QUESTIONNAIRE_DIR, bank_dir)
    load_bank(db_session, str(bank_dir))
    before = get_version(db_session, "kiosk-quick")
    original_hash, versions, audits = before.content_hash, _count(db_session), _count(db_session, AuditLog)
    kiosk = bank_dir / "kiosk-quick.yaml"
    kiosk.write_text(kiosk.read_text(encoding="utf-8").replace("Chưa hài lòng", "Không hài lòng"), encoding="utf-8")
    (bank_dir / "new.yaml").write_text(mutate("instrument: mini", "instrument: brand-new"), encoding="utf-8")
    with pytest.raises(QuestionnaireError) as caught:
        load_bank(db_session, str(bank_dir), actor="cli")
    (error,) = caught.value.errors
    assert error.file == "kiosk-quick.yaml" and error.path == "version"
    assert "đã được nạp với nội dung khác" in error.message and original_hash[:12] in error.message
    db_session.expire_all()
    assert get_version(db_session, "brand-new") is None  # the good new file was not half-loaded either
    assert _count(db_session) == versions and _count(db_session, AuditLog) == audits
    assert get_version(db_session, "kiosk-quick").content_hash == original_hash


def test_a_new_version_number_loads_beside_the_old_one(db_session, write):
    old = load_file(db_session, write(MINI))
    new = load_file(db_session, write(mutate('version: "1"', 'version: "2"', mutate("Câu một", "Câu một (sửa)"))))
    assert new.status == "loaded" and new.version_id != old.version_id
    assert get_version(db_session, "mini").version == "2"
    assert get_version(db_session, "mini", "1").id == old.version_id
    assert get_version(db_session, "mini", "3") is None and get_version(db_session, "ghost") is None
    assert _count(db_session, Questionnaire) == 1


def test_an_invalid_file_is_not_loaded(db_session, write):
    with pytest.raises(QuestionnaireError) as caught:
        load_file(db_session, write(mutate("satisfied: [2]", "satisfied: [7]"), "bad.yaml"))
    assert [(e.file, e.path) for e in caught.value.errors] == [("bad.yaml", "scales.sat5.satisfied[0]")]
    assert _count(db_session) == 0


def test_missing_path_or_empty_directory_is_an_error(db_session, tmp_path):
    with pytest.raises(QuestionnaireError, match="không tìm thấy"):
        load_paths(db_session, [str(tmp_path / "nope")])
    with pytest.raises(QuestionnaireError, match="không có tệp .yaml"):
        load_bank(db_session, str(tmp_path))


def test_loading_with_an_actor_writes_one_audit_entry_per_new_version(db_session, write):
    load_file(db_session, write(MINI), actor="cli")
    load_file(db_session, write(MINI), actor="cli")  # unchanged: nothing to audit
    entries = db_session.scalars(select(AuditLog).where(AuditLog.action == "questionnaire.load")).all()
    assert len(entries) == 1
    assert entries[0].actor == "cli" and entries[0].details["instrument"] == "mini"


def test_a_file_named_twice_is_loaded_once(db_session, write):
    path = write(MINI)
    results = load_paths(db_session, [path.rsplit("/", 1)[0], path])
    assert [r.status for r in results] == ["loaded"]
