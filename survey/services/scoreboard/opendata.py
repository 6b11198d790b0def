"""Open data of a publication: JSON and CSV with one stable schema (docs/open-data.md).

SCHEMA_VERSION changes only when a field is removed, renamed or changes meaning; adding a field keeps it.
Insufficient cells carry null (JSON) or an empty field (CSV) in every number.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC

from survey.services.scoreboard.board import Board, PublicCell

SCHEMA = "hailong.public-scoreboard"
SCHEMA_VERSION = 1
PUBLICATION_FIELDS = ("wave_code", "wave_name_vi", "wave_name_en", "period_start", "period_end", "kind", "version",
                      "latest_version", "published_at", "content_hash", "method_version", "respondents",
                      "confidence_level", "min_answers", "max_rse", "measure_vi", "measure_en")
CELL_FIELDS = ("scope", "code", "name_vi", "name_en", "agency_code", "sector_code", "level", "parent_code",
               "sufficient", "index", "ci_low", "ci_high", "se", "df", "n", "target", "target_year",
               "target_label_vi", "target_label_en", "status", "rank")
CSV_FIELDS = ("wave_code", "kind", "version", "published_at", "content_hash", *CELL_FIELDS)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def publication(board: Board, latest_version: int) -> dict:
    """The publication block: which wave, which version (and the wave's latest), when, how."""
    e = board.entry
    return {"wave_code": e.wave_code, "wave_name_vi": e.wave_name, "wave_name_en": e.wave_name_en,
            "period_start": e.period_start.isoformat(), "period_end": e.period_end.isoformat(), "kind": e.kind,
            "version": e.version, "latest_version": latest_version,
            "published_at": e.published_at.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
            "content_hash": e.content_hash, "method_version": board.method_version,
            "respondents": board.respondents, "confidence_level": board.level, "min_answers": board.min_n,
            "max_rse": board.max_rse, "measure_vi": board.measure_vi, "measure_en": board.measure_en}


def cell(c: PublicCell) -> dict:
    """One cell as a JSON object with every CELL_FIELDS key."""
    return {name: getattr(c, name) for name in CELL_FIELDS}


def as_json(board: Board, latest_version: int) -> bytes:
    """The whole publication as UTF-8 JSON (keys in schema order)."""
    doc = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "publication": publication(board, latest_version),
           "cells": [cell(c) for c in board.cells()]}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _text(value: object) -> object:
    """A CSV field: text starting like a formula gets a leading apostrophe (spreadsheets would run it)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def as_csv(board: Board, latest_version: int) -> bytes:
    """One row per cell, CSV_FIELDS as the header, UTF-8 with a byte-order mark (so Excel reads Vietnamese)."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(CSV_FIELDS)
    head = publication(board, latest_version)
    for c in board.cells():
        row = cell(c)
        out.writerow([_text(head[f]) if f in head else _text(row[f]) for f in CSV_FIELDS])
    return ("\ufeff" + buf.getvalue()).encode()
