"""Registration outcomes are one set of named values shared by the services, the views and the templates."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from claims.services import Registration, RegistrationOutcome
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_answer_of_registration_is_a_named_outcome(register, rep, admin_user):
    first = register(rep, "青岛杰航机械有限公司", phones="0532-1")
    answers = [
        first,
        register(rep, "青岛杰航机械有限责任公司", phones="0532-2"),  # the same company, held by the rep
        register(rep, "青岛杰航机械制造厂", phones="0532-3"),  # a similar name
        register(admin_user, "青岛杰航机械股份有限公司", phones="0532-4"),  # an admin sees its holder
        register(UserFactory(team=rep.team), "青岛杰航机械有限公司", phones="0532-5"),  # a colleague collides
    ]
    assert [answer.outcome for answer in answers] == [
        RegistrationOutcome.CREATED,
        RegistrationOutcome.OWN,
        RegistrationOutcome.SIMILAR,
        RegistrationOutcome.VISIBLE,
        RegistrationOutcome.COLLISION,
    ]
    assert all(type(answer.outcome) is RegistrationOutcome for answer in answers)


def test_an_outcome_that_does_not_exist_is_refused_at_once():
    with pytest.raises(ValueError, match="creatd"):
        Registration("creatd")


def test_templates_compare_only_outcomes_that_exist():
    compared = set()
    for template in Path(settings.BASE_DIR, "templates", "claims").rglob("*.html"):
        compared |= set(re.findall(r'outcome == "(\w+)"', template.read_text()))
    assert compared  # the partial that answers a registration still compares them
    assert compared <= set(RegistrationOutcome.values)
