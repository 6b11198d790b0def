"""The English catalogue, the only store of English, covers every msgid the current sources would extract.

The msgids are extracted in memory with babel.cfg, as `make translations` does, so a string added anywhere
fails here (named) until its English is written into survey/translations/en/LC_MESSAGES/messages.po.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "survey" / "translations" / "en" / "LC_MESSAGES" / "messages.po"

Key = tuple[str, str | None]


def _mapping():
    """babel.cfg's (method_map, options_map), exactly what pybabel reads."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        return parse_mapping_cfg(fh, filename="babel.cfg")


def _keep_dir(path: str) -> bool:
    """Skip hidden directories and caches, but not `_macros`: the Makefile's --ignore-dirs does the same."""
    name = os.path.basename(path)
    return not (name.startswith(".") or name == "__pycache__")


def _extract(root: Path) -> dict[Key, tuple[str | tuple[str, ...], str]]:
    """(singular msgid, context) → (msgid as extracted, first file that uses it), for the tree under `root`."""
    method_map, options_map = _mapping()
    found: dict[Key, tuple[str | tuple[str, ...], str]] = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        root, method_map, options_map, directory_filter=_keep_dir
    ):
        singular = message if isinstance(message, str) else message[0]
        if singular:
            found.setdefault((singular, context), (message, filename))
    return found


def _catalog() -> Catalog:
    """The English catalogue as committed."""
    with PO.open("rb") as fh:
        return read_po(fh, locale="en")


def _placeholders(text: str) -> list[str]:
    """The names of a string's %(name)s placeholders, sorted (%% is a literal percent sign, not a placeholder).

    Positional ones are left out: the UI formats with names only, and "95 % confidence" would read as "% c".
    """
    return sorted(name for name, _, kind in PYTHON_FORMAT.findall(text) if name and kind != "%")


def _forms(value: str | tuple[str, ...] | list[str]) -> list[str]:
    """A msgid or msgstr as its list of forms (one for gettext, singular and plural for ngettext)."""
    return [value] if isinstance(value, str) else list(value)


@pytest.fixture(scope="module")
def sources() -> dict[Key, tuple[str | tuple[str, ...], str]]:
    """The msgids of the current sources, extracted once for the module."""
    return _extract(ROOT)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The catalogue read once for the module."""
    return _catalog()


def test_babel_cfg_extracts_every_form_of_translation_call(tmp_path):
    service = tmp_path / "survey" / "services" / "x.py"
    template = tmp_path / "templates" / "_macros" / "x.html"
    for path in (service, template):
        path.parent.mkdir(parents=True)
    service.write_text('_("a"); gettext("b"); _l("c"); lazy_gettext("d"); tr("e"); ngettext("f", "fs", n)\n')
    template.write_text("{{ _('g') }} {{ gettext('h') }} {% trans %}i{% endtrans %}", encoding="utf-8")

    found = {message for message, _ in _extract(tmp_path).values()}

    # Babel before 2.18 ignores `keywords` in babel.cfg: _l, lazy_gettext and tr would silently go missing.
    assert found == {"a", "b", "c", "d", "e", ("f", "fs"), "g", "h", "i"}


def test_the_sources_have_msgids_to_check(sources):
    files = {filename for _, filename in sources.values()}

    assert any(f.startswith("templates/") for f in files) and any(f.startswith("survey/") for f in files)


def test_every_source_msgid_is_in_the_english_catalogue(sources, catalog):
    missing = [f"{filename}: {key[0]!r}" for key, (_, filename) in sources.items()
               if catalog.get(key[0], context=key[1]) is None]

    assert not missing, "not in messages.po (run `make translations`):\n" + "\n".join(sorted(missing))


def test_every_msgid_has_a_non_fuzzy_english_msgstr(catalog):
    untranslated = [repr(m.id) for m in catalog if m.id and (m.fuzzy or not all(_forms(m.string)))]

    assert not catalog.fuzzy, "the catalogue header is fuzzy: pybabel compile would skip the whole file"
    assert not untranslated, "empty or fuzzy English in messages.po:\n" + "\n".join(untranslated)


def test_english_has_the_same_placeholders_as_the_vietnamese(catalog):
    def differs(message: Message) -> bool:
        ids, strings = _forms(message.id), _forms(message.string)
        return any(_placeholders(ids[min(i, len(ids) - 1)]) != _placeholders(s) for i, s in enumerate(strings) if s)

    wrong = [f"{m.id!r} → {m.string!r}" for m in catalog if m.id and differs(m)]

    assert not wrong, "placeholders differ between msgid and English:\n" + "\n".join(wrong)


def test_the_catalogue_holds_only_msgids_the_sources_use(sources, catalog):
    stale = [repr(m.id) for m in catalog if m.id and (_forms(m.id)[0], m.context) not in sources]

    assert not catalog.obsolete, "obsolete #~ entries left: run `make translations`: " + repr(list(catalog.obsolete))
    assert not stale, "msgids no source uses (run `make translations`):\n" + "\n".join(stale)
