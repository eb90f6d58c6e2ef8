"""Every user-facing string has its Simplified Chinese translation, and the compiled catalogue is current.

The messages are extracted afresh from the code (``makemessages`` into a scratch copy of the catalogue),
so a new string without a translation fails here, with the strings listed.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def _msgids(po_text: str) -> list[str]:
    """The msgids of the entries in ``po_text`` (the header, msgid "", left out)."""
    entries = []
    for block in po_text.split("\n\n"):
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if match:
            text = "".join(re.findall(r'"(.*)"', match.group(1)))
            if text:
                entries.append(text)
    return entries


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def test_every_string_in_the_code_is_translated_into_chinese(tmp_path):
    # makemessages writes next to the sources it reads, so it runs in a scratch copy of the project.
    project = tmp_path / "project"
    skip = shutil.ignore_patterns(".git", ".venv", "node_modules", "staticfiles", "media", ".pgdata", "vendor",
                                  "test-artifacts", "__pycache__", "*.mo", ".*_cache")  # fmt: skip
    shutil.copytree(settings.BASE_DIR, project, ignore=skip)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.test"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--ignore=bench",
         "--ignore=tests"],
        cwd=project, env=env, check=True, capture_output=True,
    )  # fmt: skip
    catalogue = str(project / "locale/zh_Hans/LC_MESSAGES/django.po")
    untranslated = subprocess.run(["msgattrib", "--untranslated", "--no-obsolete", catalogue],
                                  capture_output=True, text=True, check=True).stdout  # fmt: skip
    missing = _msgids(untranslated)
    assert not missing, f"{len(missing)} strings have no Chinese translation, e.g. {missing[:10]}"
    # A "fuzzy" entry is gettext's guess from a similar old string: unused at run time, and often wrong.
    fuzzy = _msgids(subprocess.run(["msgattrib", "--only-fuzzy", "--no-obsolete", catalogue],
                                   capture_output=True, text=True, check=True).stdout)  # fmt: skip
    assert not fuzzy, f"{len(fuzzy)} translations are only guesses (fuzzy), e.g. {fuzzy[:10]}"


def test_the_compiled_catalogue_holds_every_translation():
    subprocess.run(["msgfmt", "--check-format", "-o", os.devnull, str(CATALOGUE / "django.po")], check=True)
    translated = subprocess.run(
        ["msgattrib", "--translated", "--no-obsolete", str(CATALOGUE / "django.po")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    with open(CATALOGUE / "django.mo", "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    singular = {key if isinstance(key, str) else key[0] for key in catalogue._catalog}  # type: ignore[attr-defined]
    stale = [msgid for msgid in _msgids(translated) if _unescape(msgid) not in singular]
    assert not stale, f"django.mo is older than django.po (run compilemessages): e.g. {stale[:5]}"
