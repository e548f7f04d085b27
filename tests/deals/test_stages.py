"""The stages in use are read, never written on read; the tests put DOMAIN §6's defaults back after a flush."""

import pytest
from django.core.management import call_command

from crm.deals.defaults import STAGES
from crm.deals.models import CloseReason, Stage


@pytest.mark.django_db
def test_in_use_reads_the_active_stages_in_order_and_writes_nothing(django_assert_num_queries):
    Stage.objects.filter(order=6).update(is_active=False)
    with django_assert_num_queries(1):
        stages = Stage.objects.in_use()
    assert [stage.order for stage in stages] == [1, 2, 3, 4, 5]


@pytest.mark.django_db
def test_an_empty_table_stays_empty():
    Stage.objects.all().delete()
    assert Stage.objects.in_use() == []
    assert not Stage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_flush_is_followed_by_the_default_stages_again():
    call_command("flush", interactive=False, verbosity=0)
    assert [(stage.order, stage.name_en) for stage in Stage.objects.all()] == [(row[0], row[1]) for row in STAGES]
    assert CloseReason.objects.filter(outcome="lost").exists()
