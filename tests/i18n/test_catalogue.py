"""The Chinese catalogue is complete and the compiled file matches it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from tests import conftest
from tests.conftest import missing_service

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def translatable_entries():
    return [entry for entry in polib.pofile(str(PO)) if not entry.obsolete]


def test_every_string_is_translated():
    untranslated = [e.msgid for e in translatable_entries() if not e.translated()]
    assert untranslated == []


def test_compiled_catalogue_matches_source():
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.mofile(str(MO))}
    source = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in translatable_entries()}
    compiled.pop((None, ""), None)
    assert compiled == source, "run `make messages` to recompile locale/"


def test_catalogue_has_every_marked_string(tmp_path):
    """Re-extract in a copy of the project: a marked string missing here would show in English."""
    if shutil.which("xgettext") is None:
        missing_service("needs gettext's xgettext (make system-packages installs it)")
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "static", "artifacts", "var"))
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "zh_Hans", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DEBUG": "true"},
    )
    # With the context: a word given a new msgctxt is a new entry, shown in English until translated.
    extracted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / PO.relative_to(ROOT))) if not e.obsolete}
    known = {(e.msgctxt, e.msgid) for e in translatable_entries()}
    assert sorted(extracted - known, key=str) == [], "run `make messages` and translate the new strings"


def test_missing_gettext_fails_under_ci(monkeypatch, tmp_path):
    """Without xgettext the extraction check would pass unseen; CI must say so instead of skipping."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(conftest, "UNDER_CI", True)
    with pytest.raises(pytest.fail.Exception, match="gettext"):
        test_catalogue_has_every_marked_string(tmp_path)
