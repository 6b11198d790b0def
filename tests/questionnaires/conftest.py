"""Helpers for the questionnaire tests: a small valid file to break in many ways."""
from __future__ import annotations

import pytest

MINI = """\
instrument: mini
version: "1"
title: {vi: "Thử nghiệm", en: "Test"}
scales:
  sat5:
    codes:
      - {code: 1, label: {vi: "Không hài lòng", en: "Dissatisfied"}}
      - {code: 2, label: {vi: "Hài lòng", en: "Satisfied"}}
    satisfied: [2]
sections:
  - id: one
    title: {vi: "Phần một", en: "Part one"}
    questions:
      - code: A1
        type: scale
        scale: sat5
        text: {vi: "Câu một", en: "Question one"}
      - code: A2
        type: single
        text: {vi: "Câu hai", en: "Question two"}
        options:
          - {code: 1, label: {vi: "Có", en: "Yes"}}
          - {code: 2, label: {vi: "Không", en: "No"}}
      - code: A3
        type: scale
        scale: sat5
        show_if: {item: A2, in: [1]}
        text: {vi: "Câu ba", en: "Question three"}
      - code: A4
        type: text
        text: {vi: "Góp ý", en: "Comments"}
index:
  elements:
    el: {label: {vi: "Yếu tố", en: "Element"}, items: [A1, A3]}
  parts:
    p: {label: {vi: "Phần", en: "Part"}, elements: [el]}
"""


def mutate(old: str, new: str, text: str = MINI) -> str:
    """MINI with one exact fragment replaced (fails loudly if the fragment is not there)."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.fixture
def write(tmp_path):
    """Write a questionnaire text to tmp_path/<name> and return the path."""
    def _write(text: str, name: str = "mini.yaml") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)
    return _write
