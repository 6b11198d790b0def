"""Fill English msgstrs in survey/translations/en from scripts/en/*.py (each defines EN: Vietnamese msgid → English)."""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "survey" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def main() -> int:
    """Apply the glossary; print the msgids still untranslated."""
    import importlib.util

    EN: dict[str, str] = {}
    for path in sorted((ROOT / "scripts" / "en").glob("*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        EN.update(getattr(module, "EN", {}))

    with PO.open("rb") as fh:
        catalog = read_po(fh)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in EN:
            message.string = EN[key] if isinstance(message.id, str) else (EN[key], EN[key])
            message.flags.discard("fuzzy")
        elif not message.string:
            missing.append(key)
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100)
    for m in missing:
        print("untranslated:", m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
