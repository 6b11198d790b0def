"""The frozen frame's format 2: object arrays as codes into their distinct values. It thaws to the same
arrays as format 1, keeps format 1's content hash, and a version frozen in format 1 still thaws."""

from __future__ import annotations

import dataclasses
import io
import json

import numpy as np
from sqlalchemy import select

from survey.models import Publication
from survey.services import publications
from survey.services.publications import frozen
from tests.workspace.conftest import build_world


def _format_1(frame) -> tuple[bytes, str]:
    """The frame as the format-1 code froze it (object arrays element by element)."""
    arrays: dict = {}
    tree = frozen._Encoder(arrays)(frame)
    meta, digest = frozen._digest(tree, arrays, 1)
    buf = io.BytesIO()
    np.savez_compressed(buf, __meta__=np.frombuffer(meta.encode(), dtype=np.uint8), **arrays)
    return buf.getvalue(), digest.hexdigest()


def _same(a, b) -> None:
    """Field by field, arrays by value (NaN equal to NaN)."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b)
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name))
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        if a.dtype == object:
            assert [repr(v) for v in a.tolist()] == [repr(v) for v in b.tolist()]
        else:
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif hasattr(a, "__dict__") and not isinstance(a, type):  # the design: its state, attribute by attribute
        assert type(a) is type(b)
        _same(vars(a), vars(b))
    else:
        assert repr(a) == repr(b)


def test_format_2_thaws_to_the_frame_format_1_gives_and_keeps_its_hash(db_session):
    world = build_world(db_session)
    view = publications.current(db_session, world["wave"].id)
    blob = db_session.scalar(select(Publication.frame).where(Publication.id == view.id))
    assert json.loads(bytes(np.load(io.BytesIO(blob))["__meta__"]).decode())["format"] == 2
    frame = frozen.thaw_frame(blob)
    old_blob, old_digest = _format_1(frame)
    _same(frozen.thaw_frame(old_blob), frame)  # a version stored in format 1 thaws to the same frame
    again, digest = frozen.freeze_frame(frame)
    assert digest == old_digest  # the content hash is format 1's: an unchanged wave keeps its hash
    assert frozen.content_hash(view.table and frozen.table_json(view.table), digest) == view.content_hash


def test_format_2_shares_one_object_per_distinct_value(db_session):
    world = build_world(db_session)
    view = publications.current(db_session, world["wave"].id)
    strata = publications.frame(db_session, view).data.stratum
    firsts = {}
    for value in strata.tolist():
        assert firsts.setdefault(value, value) is value
    assert len(firsts) < len(strata)
