"""Fixtures for the registry tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def write_csv(tmp_path):
    """Write `text` to a fresh CSV file (UTF-8 unless bytes are given) and return its path."""
    counter = iter(range(1000))

    def write(text: str | bytes, name: str | None = None) -> str:
        path = tmp_path / (name or f"registry-{next(counter)}.csv")
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return str(path)

    return write
