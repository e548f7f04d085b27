import io

import pytest
from django.core.management import call_command

from claims.models import Claim, Dispute
from crm.complaints.models import Complaint, State
from crm.deals.models import Opportunity, Purchase
from crm.models import Customer
from crm.validators import validate_credit_code
from visits.models import Reminder, Visit


@pytest.mark.django_db
def test_demo_data_fills_every_app_once():
    call_command("seed_demo", stdout=io.StringIO())
    counts = [Customer.objects.count(), Visit.objects.count(), Claim.objects.count(), Complaint.objects.count()]
    assert counts[0] > 300 and counts[1] > 300
    assert Claim.objects.active().count() == Customer.objects.filter(owner__isnull=False).count()
    assert Dispute.objects.open().exists()
    assert set(Complaint.objects.values_list("state", flat=True)) == set(State.values)
    assert set(Opportunity.objects.values_list("status", flat=True)) == {"open", "won", "lost"}
    assert Opportunity.objects.open().values("stage").distinct().count() == 6  # a deal in every stage
    assert Purchase.objects.count() == Opportunity.objects.filter(status="won").count()
    assert {"A", "B", "C"} <= set(Reminder.objects.open().values_list("customer__grade", flat=True))
    codes = Customer.objects.exclude(credit_code="").values_list("credit_code", flat=True)
    assert codes and all(validate_credit_code(code) is None for code in codes)  # valid in every part
    deals = Opportunity.objects.count()
    call_command("seed_demo", stdout=io.StringIO())  # the newcomer's second `make run`
    assert [Customer.objects.count(), Visit.objects.count(), Claim.objects.count(), Complaint.objects.count()] == counts
    assert Opportunity.objects.count() == deals
