"""The filter forms' fields (customer list, board) are rendered once for each language, input and set of choices
and then kept (`{% cache %}` keyed by `form|fields_key`, crm/templatetags/form_fields.py): a second request
renders none of crispy-forms' field templates, yet each page shows its own people, words and errors."""

import re

import pytest
from django.core.cache import caches
from django.urls import reverse

from crm.models import Grade
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

FIELD_TEMPLATE = "bootstrap5/field.html"
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture(autouse=True)
def _nothing_kept_yet():
    caches["template_fragments"].clear()


def fields_rendered(response) -> bool:
    return FIELD_TEMPLATE in [template.name for template in response.templates]


def owner_choices(html: str) -> str:
    return re.search(r'<select name="owner".*?</select>', html, re.DOTALL).group(0)


def owner_option(user) -> str:
    return f'<option value="{user.pk}">'


def label(html: str, field: str) -> str:
    return re.search(rf'<label\s+for="id_{field}"[^>]*>\s*([^<]+?)\s*<', html).group(1)


def grade_box(html: str, grade: str) -> str:
    return re.search(rf'<input[^>]*name="grade"[^>]*value="{grade}"[^>]*>', html).group(0)


def test_the_list_filter_fields_are_rendered_once_then_kept(manager_client, rep):
    url = reverse("crm:customer_list")
    first, second = manager_client.get(url), manager_client.get(url)
    assert fields_rendered(first) and not fields_rendered(second)
    assert owner_option(rep) in owner_choices(second.text)
    # A search's text is outside the kept fields: another search does not render them again.
    assert fields_rendered(manager_client.get(url, {"q": "宁波"}))
    assert not fields_rendered(manager_client.get(url, {"q": "青岛"}))


def test_a_rep_who_joins_the_team_is_in_the_owner_choices_at_once(manager_client, team, rep):
    url = reverse("crm:customer_list")
    manager_client.get(url)
    newcomer = UserFactory(team=team)
    response = manager_client.get(url)
    assert fields_rendered(response)
    assert owner_option(newcomer) in owner_choices(response.text)
    assert owner_option(rep) in owner_choices(response.text)


def test_another_manager_sees_their_own_people(manager_client, client, rep):
    url = reverse("crm:customer_list")
    manager_client.get(url)
    other_team_manager = UserFactory(role="manager")
    other_rep = UserFactory(team=TeamFactory(manager=other_team_manager))
    client.force_login(other_team_manager)
    choices = owner_choices(client.get(url).text)
    assert owner_option(other_rep) in choices
    assert owner_option(rep) not in choices


def test_the_kept_fields_follow_the_language(manager_client):
    url = reverse("crm:customer_list")
    assert label(manager_client.get(url).text, "status") == "Status"
    assert label(manager_client.get(url, **CHINESE).text, "status") == "状态"
    assert label(manager_client.get(url).text, "status") == "Status"


def test_a_filter_value_and_its_error_are_shown_each_time(manager_client, rep):
    url = reverse("crm:customer_list")
    for _ in range(2):
        response = manager_client.get(url, {"grade": Grade.A, "in_pool": "perhaps"})
        assert "This filter does not take “perhaps”." in response.text
        assert "checked" in grade_box(response.text, Grade.A)
        assert "checked" not in grade_box(response.text, Grade.B)
    chosen = manager_client.get(url, {"owner": rep.pk}).text
    assert f'<option value="{rep.pk}" selected>' in chosen
    assert "checked" not in grade_box(chosen, Grade.A)


def test_the_board_filter_fields_are_rendered_once_then_kept(manager_client, rep):
    CustomerFactory(owner=rep)
    url = reverse("board:board")
    first, second = manager_client.get(url), manager_client.get(url)
    assert fields_rendered(first) and not fields_rendered(second)
    assert owner_option(rep) in owner_choices(second.text)
    chosen = manager_client.get(url, {"owner": rep.pk})
    assert fields_rendered(chosen) and f'<option value="{rep.pk}" selected>' in chosen.text


def filters_card(html: str) -> str:
    return re.search(r'<div class="collapse[^"]*" id="more-filters">', html).group(0)


def filters_button(html: str) -> str:
    return re.search(r'<button[^>]*data-bs-target="#more-filters"[^>]*>', html).group(0)


@pytest.mark.parametrize("url_name", ["crm:customer_list", "claims:pool"])
def test_a_refused_filter_opens_the_filters_card_so_its_message_is_seen(url_name, manager_client):
    url = reverse(url_name)
    refused = manager_client.get(url, {"in_pool" if url_name == "crm:customer_list" else "grade": "perhaps"}).text
    assert "show" in filters_card(refused) and 'aria-expanded="true"' in filters_button(refused)
    searched = manager_client.get(url, {"q": "宁波"}).text
    assert "show" not in filters_card(searched) and 'aria-expanded="false"' in filters_button(searched)


def test_a_search_sent_by_the_whole_form_refuses_nothing(manager_client):
    """The browser sends every field: the yes/no filters as "unknown" (their widget's own "Unknown")."""
    blank = ("status", "owner", "team", "region", "city", "industry", "source", "relationship_level", "ordering")
    sent = {"q": "宁波", "in_pool": "unknown", "overdue": "unknown", **dict.fromkeys(blank, "")}
    html = manager_client.get(reverse("crm:customer_list"), sent).text
    assert "This filter does not take" not in html
    assert "show" not in filters_card(html)
    assert (
        "This filter does not take “perhaps”."
        in manager_client.get(reverse("crm:customer_list"), {**sent, "in_pool": "perhaps"}).text
    )
