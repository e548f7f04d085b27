"""The page frame every screen shares (base.html): language, landmarks, skip link, colour mode before the first
paint. PDFs have a frame of their own that stays light."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_html_lang_is_the_language_chosen(client, rep, language):
    client.force_login(rep)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get("/day/").content.decode()
    assert f'<html lang="{language}"' in page


def test_the_frame_has_a_skip_link_and_landmarks(rep_client):
    page = rep_client.get("/day/").content.decode()
    body = page[page.index("<body") :]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'class="skip-link"' in first_link and 'href="#main"' in first_link, "the first stop of the keyboard"
    assert re.search(r"<header>\s*<nav ", body), "the navigation bar is the page's header"
    assert '<main id="main"' in body and 'tabindex="-1"' in body, "the skip link's target can take the focus"


def test_the_colour_mode_is_set_before_any_style_is_applied(rep_client):
    """theme.js sets data-bs-theme from the stored choice or the system: run synchronously in <head> before the
    stylesheets, the first paint already has the right colours (the CSP allows no inline script)."""
    head = rep_client.get("/day/").content.decode().split("</head>")[0]
    script = re.search(r"<script [^>]*theme\.js[^>]*>", head)
    assert script and not re.search(r"\b(defer|async|type=\"module\")", script.group(0))
    assert script.start() < head.index('rel="stylesheet"')


def test_pdfs_stay_light():
    """PDF templates do not share the screen's frame, palette or colour mode."""
    pdfs = [path for path in TEMPLATES.rglob("*.html") if "pdf/print.css" in path.read_text()]
    assert len(pdfs) >= 4
    for path in [*pdfs, TEMPLATES / "pdf" / "print.css"]:
        text = path.read_text()
        for screen_only in ("base.html", "theme.css", "theme.js", "data-bs-theme", "prefers-color-scheme"):
            assert screen_only not in text, f"{path.name} uses {screen_only}"
