"""Every translatable registry string has its English in scripts/en/registry.py, with the same placeholders."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from babel.messages.extract import extract_from_file

ROOT = Path(__file__).resolve().parents[2]


def test_every_registry_msgid_has_english_with_the_same_placeholders():
    spec = importlib.util.spec_from_file_location("en_registry", ROOT / "scripts" / "en" / "registry.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    msgids = {msg for _, msg, _, _ in extract_from_file("python", ROOT / "survey" / "services" / "registry" / "imports.py")}

    assert msgids and msgids <= set(module.EN), sorted(msgids - set(module.EN))
    for msgid in msgids:
        assert sorted(re.findall(r"%\(\w+\)\w", msgid)) == sorted(re.findall(r"%\(\w+\)\w", module.EN[msgid]))
