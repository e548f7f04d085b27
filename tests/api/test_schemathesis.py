"""Schemathesis (property-based) against a live server: every operation of the committed schema, as a rep and as a
manager, each with a bounded number of generated requests. No answer may be a server error, and every answer must
be one the schema documents (status, content type, body)."""

import datetime
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import api_token_create
from claims.services import customer_register, dispute_open
from crm.complaints.models import Complaint
from crm.complaints.services import complaint_record
from crm.deals.models import Opportunity, OpportunityLine
from crm.deals.services import opportunity_create, opportunity_part_save
from crm.models import Contact, Customer
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from visits.models import Visit
from visits.services import visit_log

SCHEMA = Path(settings.BASE_DIR) / "crm" / "api" / "openapi.yaml"
EXAMPLES = 5  # per operation and role: 27 operations x 2 roles in well under a minute on 2 cores
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


pytestmark = pytest.mark.django_db(transaction=True)  # the live server's thread sees what the test wrote


@pytest.fixture
def world():
    team = TeamFactory()
    manager = UserFactory(role="manager", team=team)
    team.manager = manager
    team.save()
    rep, colleague = UserFactory(role="rep", team=team), UserFactory(role="rep", team=team)
    customer = customer_register(
        customer=Customer(name="青岛模糊测试机械有限公司", phones="0532-86669999", need="车床"), actor=rep
    ).customer
    contact = Contact.objects.create(customer=customer, name="王工", buying_role="decision_maker")
    visit_log(
        visit=Visit(customer=customer, started_at=timezone.now() - datetime.timedelta(hours=1), discussion="看样机"),
        actor=rep,
    )
    complaint = complaint_record(
        complaint=Complaint(customer=customer, complainant_name="李", description="异响", category="quality"), actor=rep
    )
    dispute = dispute_open(customer=customer, actor=colleague, statement="我先接触的")
    deal = opportunity_create(
        opportunity=Opportunity(customer=customer, title="两台车床", expected_close_on=timezone.localdate()), actor=rep
    )
    opportunity_part_save(part=OpportunityLine(opportunity=deal, product="车床", unit_price=200_000), actor=rep)
    CustomerFactory(pool_since=timezone.now() - datetime.timedelta(days=5), pool_reason="imported")
    known = {"pk": [customer.pk, complaint.pk, dispute.pk, deal.pk], "contact_pk": [contact.pk]}
    return {"rep": rep, "manager": manager, "known": known}


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_every_operation_answers_as_documented(live_server, world, role):
    _token, key = api_token_create(actor=world[role], name="schemathesis")
    schema = schemathesis.openapi.from_path(SCHEMA)
    headers = {"Authorization": f"Bearer {key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        names = [parameter.name for parameter in operation.path_parameters]
        # Half the cases name the world's records (real ids, so the resources answer with bodies), half any id.
        known = st.fixed_dictionaries({name: st.sampled_from(world["known"].get(name, [1])) for name in names})
        strategy = st.one_of(
            operation.as_strategy(), known.flatmap(lambda ids, op=operation: op.as_strategy(path_parameters=ids))
        )

        @hypothesis_settings(
            max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
            phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        @given(case=strategy)
        def run(case):
            response = case.call(base_url=live_server.url, headers=headers)
            case.validate_response(response, checks=CHECKS)

        run()
