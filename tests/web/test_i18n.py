"""The panel's texts through Flask-Babel: gettext catalogs generated from the texts, compiled when the app starts,
the locale chosen by ?lang= and remembered, Vietnamese by default."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import flask_babel
from babel.support import Translations

from web.catalogs import DOMAIN, TRANSLATIONS, compile_catalogs, po_path
from web.i18n import LANGUAGES, TEXTS, translate

ROOT = Path(__file__).resolve().parents[2]


def test_the_catalogs_in_git_are_those_of_the_texts() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/translations.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_a_fresh_clone_gets_its_catalogs_compiled(tmp_path: Path) -> None:
    """Only the .po files are in git: compiling makes the .mo files gettext reads, and again when a .po changes."""
    for language in LANGUAGES:
        target = po_path(language, tmp_path)
        target.parent.mkdir(parents=True)
        shutil.copy(po_path(language), target)
    assert compile_catalogs(tmp_path) == tmp_path
    vi = Translations.load(str(tmp_path), ["vi"], DOMAIN)
    en = Translations.load(str(tmp_path), ["en"], DOMAIN)
    assert vi.gettext("sign_in") == "Đăng nhập" and en.gettext("sign_in") == "Sign in"
    assert all(vi.gettext(key) == pair[0] and en.gettext(key) == pair[1] for key, pair in TEXTS.items())

    edited = po_path("vi", tmp_path)
    edited.write_text(edited.read_text(encoding="utf-8").replace('"Đăng nhập"', '"Vào hệ thống"'), encoding="utf-8")
    mo = edited.with_suffix(".mo")
    os.utime(mo, (mo.stat().st_atime, edited.stat().st_mtime - 10))  # the .mo is older than its .po
    compile_catalogs(tmp_path)
    assert Translations.load(str(tmp_path), ["vi"], DOMAIN).gettext("sign_in") == "Vào hệ thống"


def test_the_app_reads_its_texts_from_the_compiled_catalogs(app) -> None:  # type: ignore[no-untyped-def]
    directory = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    assert directory == TRANSLATIONS
    assert all((directory / language / "LC_MESSAGES" / f"{DOMAIN}.mo").exists() for language in LANGUAGES)
    with app.test_request_context("/login"):
        assert str(flask_babel.get_locale()) == "vi"  # the default
        assert flask_babel.gettext("sign_in") == "Đăng nhập" == translate("sign_in")
        assert translate("no-such-text") == "no-such-text"
    with app.test_request_context("/login?lang=en"):
        assert str(flask_babel.get_locale()) == "en"
        assert flask_babel.gettext("sign_in") == "Sign in" == translate("sign_in")


def test_the_chosen_language_is_remembered(client) -> None:  # type: ignore[no-untyped-def]
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)
    assert "Sign in" in client.get("/login?lang=en").get_data(as_text=True)
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign in" in html
    assert "Đăng nhập" in client.get("/login?lang=vi").get_data(as_text=True)
    html = client.get("/login?lang=xx").get_data(as_text=True)  # not a panel language: the choice stands
    assert '<html lang="vi">' in html and "Đăng nhập" in html
