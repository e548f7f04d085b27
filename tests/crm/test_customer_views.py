import csv
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from crm.models import BuyingRole, Customer, Grade
from crm.validators import credit_code_check_character
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory
from tests.queries import list_count_planning

pytestmark = pytest.mark.django_db


@pytest.fixture
def own(rep):
    return CustomerFactory(name="青岛杰航机械有限公司", owner=rep, annual_purchases=Decimal(1_200_000), grade="A")


@pytest.fixture
def foreign(db):
    return CustomerFactory(name="济南别人家有限公司", owner=UserFactory(team=TeamFactory()))


class TestList:
    def test_rep_lists_own_and_pool_only(self, rep_client, own, foreign):
        pooled = CustomerFactory(owner=None)
        response = rep_client.get(reverse("crm:customer_list"))
        assert set(response.context["page"].object_list) == {own, pooled}
        assert response.context["counts"]["total"] == 2

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"grade": ["A"]}, ["own"]),
            ({"grade": ["C"]}, ["pool"]),
            ({"in_pool": "true"}, ["pool"]),
            ({"q": "qdjh"}, ["own"]),
            ({"status": "active"}, []),
            ({"city": "青岛"}, ["own", "pool"]),
        ],
    )
    def test_filters(self, rep_client, own, params, expected):
        pooled = CustomerFactory(owner=None, name="烟台池中客户有限公司", grade="C")
        names = {"own": own, "pool": pooled}
        response = rep_client.get(reverse("crm:customer_list"), params)
        assert set(response.context["page"].object_list) == {names[n] for n in expected}

    def test_overdue_filter(self, rep_client, rep):
        import datetime

        from django.utils import timezone

        late = CustomerFactory(owner=rep, next_follow_up_on=timezone.localdate() - datetime.timedelta(days=3))
        on_time = CustomerFactory(owner=rep, next_follow_up_on=timezone.localdate())
        assert list(rep_client.get(reverse("crm:customer_list"), {"overdue": "true"}).context["page"]) == [late]
        assert list(rep_client.get(reverse("crm:customer_list"), {"overdue": "false"}).context["page"]) == [on_time]

    def test_sort_by_purchases(self, manager_client, rep):
        small = CustomerFactory(owner=rep, annual_purchases=Decimal(1))
        big = CustomerFactory(owner=rep, annual_purchases=Decimal(9))
        response = manager_client.get(reverse("crm:customer_list"), {"ordering": "-annual_purchases"})
        assert list(response.context["page"]) == [big, small]

    def test_query_count_constant(self, django_assert_num_queries, manager_client, rep):
        CustomerFactory.create_batch(3, owner=rep)
        # with the count's EXPLAIN (crm/paging.py) and the manager's people by id, which the page and counts name
        with django_assert_num_queries(10 + list_count_planning()) as small:
            manager_client.get(reverse("crm:customer_list"))
        CustomerFactory.create_batch(40, owner=rep)
        with django_assert_num_queries(len(small.captured_queries)):
            manager_client.get(reverse("crm:customer_list"), {"page": 2})

    @pytest.mark.postgres
    def test_a_managers_page_and_counts_name_the_people_by_id(self, manager_client, manager, rep):
        """PostgreSQL estimates a list of holders from its statistics and combines their index with a search's;
        under a subquery it read every match's row to filter it (3,920 for "xmd" at 1,000,000)."""
        own = CustomerFactory(owner=rep, name="厦门鼎联重工有限公司")
        with CaptureQueriesContext(connection) as captured:
            response = manager_client.get(reverse("crm:customer_list"), {"q": "xmdl"})
        assert list(response.context["page"]) == [own]
        listed = [query["sql"] for query in captured.captured_queries if 'FROM "crm_customer"' in query["sql"]]
        assert len(listed) >= 2  # the page, and its count or estimate
        assert all("accounts_team" not in sql for sql in listed)
        for sql in listed:
            named = re.search(r'"owner_id" IN \(([\d, ]+)\)', sql)
            assert {int(pk) for pk in named.group(1).split(",")} == {manager.pk, rep.pk}


class TestCard:
    def test_shows_facts_coverage_and_verdict(self, rep_client, own):
        ContactFactory(customer=own, buying_role=BuyingRole.USER, name="王车间")
        response = rep_client.get(reverse("crm:customer_detail", args=[own.pk]))
        page = response.content.decode()
        assert "青岛杰航机械有限公司" in page and "王车间" in page
        assert 'data-testid="role-warning"' in page
        assert response.context["man_verdict"][0] == "stop"

    def test_shows_suggested_when_it_differs(self, rep_client, own):
        Customer.objects.filter(pk=own.pk).update(grade=Grade.C, grade_overridden=True)
        response = rep_client.get(reverse("crm:customer_detail", args=[own.pk]))
        assert 'data-testid="grade-differs"' in response.content.decode()

    def test_other_reps_customer_is_404_and_leaks_nothing(self, rep_client, foreign):
        for name in [
            "crm:customer_detail",
            "crm:customer_update",
            "crm:customer_dossier",
            "crm:contact_create",
        ]:
            response = rep_client.get(reverse(name, args=[foreign.pk]))
            assert response.status_code == 404, name
            assert foreign.name not in response.content.decode()

    def test_teammates_customer_visible_to_manager_not_to_rep(self, client, manager, rep, team):
        teammate_customer = CustomerFactory(owner=UserFactory(team=team))
        client.force_login(rep)
        assert client.get(reverse("crm:customer_detail", args=[teammate_customer.pk])).status_code == 404
        client.force_login(manager)
        assert client.get(reverse("crm:customer_detail", args=[teammate_customer.pk])).status_code == 200

    def test_rep_may_view_but_not_edit_pool_customer(self, rep_client):
        pooled = CustomerFactory(owner=None)
        assert rep_client.get(reverse("crm:customer_detail", args=[pooled.pk])).status_code == 200
        assert rep_client.get(reverse("crm:customer_update", args=[pooled.pk])).status_code == 403

    def test_query_count_constant(self, django_assert_num_queries, rep_client, rep, own):
        import datetime

        from django.utils import timezone

        from claims.models import Claim, OwnershipEvent, OwnershipPolicy
        from crm.complaints.models import Complaint
        from crm.complaints.services import complaint_record
        from visits.models import Visit

        def add_visit():
            Visit.objects.create(customer=own, author=rep, started_at=timezone.now(), discussion="x").contacts.set(
                own.contacts.all()
            )

        today = timezone.localdate()
        OwnershipPolicy.current()
        claim = Claim.objects.create(
            customer=own, holder=rep, renewed_on=today, protected_until=today + datetime.timedelta(days=90)
        )
        ContactFactory(customer=own)
        add_visit()
        url = reverse("crm:customer_detail", args=[own.pk])
        rep_client.get(url)  # warm: the content-type cache the attachments' prefetch reads may be cold
        # session, user, customer, contacts, grade policy, grade changes, visits (+ their objections, contacts and
        # attachments), active claim, ownership policy, ownership history, complaints, deals, the navigation's due
        # and open-dispute counts, and the two that note it among the rep's recent customers (upsert, trim)
        with django_assert_num_queries(20) as small:
            rep_client.get(url)
        ContactFactory.create_batch(15, customer=own)
        for _ in range(10):
            own.grade_changes.create(to_grade="B", reason="x")
            add_visit()
            OwnershipEvent.objects.create(customer=own, claim=claim, kind="renewed", actor=rep, to_user=rep)
            complaint_record(
                complaint=Complaint(customer=own, complainant_name="x", description="x", category="other"), actor=rep
            )
        with django_assert_num_queries(len(small.captured_queries)):
            rep_client.get(url)


class TestForms:
    def test_rep_registers_customer_and_owns_it(self, rep_client, rep):
        response = rep_client.post(
            reverse("claims:register"),
            {"name": "潍坊新客户有限公司", "phones": "0536-1234567", "need": "五轴加工中心",
             "relationship_level": "ordinary", "status": "prospect", "annual_purchases": "350000"},
        )  # fmt: skip
        customer = Customer.objects.get(name="潍坊新客户有限公司")
        assert response.status_code == 302
        assert customer.owner == rep and customer.grade == Grade.B

    def test_bad_credit_code_refused_and_input_kept(self, rep_client):
        data = {"name": "潍坊新客户有限公司", "phones": "0536-1234567", "need": "五轴加工中心",
                "credit_code": "91350100M000100Y44", "relationship_level": "ordinary", "status": "prospect",
                "notes": "met at CIMT"}  # fmt: skip
        response = rep_client.post(reverse("claims:register"), data)
        assert response.status_code == 200
        assert not Customer.objects.exists()
        page = response.content.decode()
        assert "check digit" in page
        assert "潍坊新客户有限公司" in page and "met at CIMT" in page

    def test_a_wrong_organization_code_is_refused_by_name(self, rep_client, own):
        # Characters 9-17 check out on their own (GB 11714) before the 18th checks the whole code.
        code = "91350100M000100Y5" + credit_code_check_character("91350100M000100Y5")
        data = {"name": "潍坊新客户有限公司", "phones": "0536-1234567", "need": "五轴加工中心", "credit_code": code,
                "relationship_level": "ordinary", "status": "prospect", "notes": "met at CIMT"}  # fmt: skip
        response = rep_client.post(reverse("claims:register"), data)
        assert response.status_code == 200
        assert not Customer.objects.filter(name="潍坊新客户有限公司").exists()
        page = response.content.decode()
        assert "The organization code in this credit code (characters 9 to 17) is wrong" in page
        assert "met at CIMT" in page
        response = rep_client.post(reverse("crm:customer_update", args=[own.pk]), {**data, "name": own.name})
        assert "The organization code in this credit code (characters 9 to 17) is wrong" in response.content.decode()
        own.refresh_from_db()
        assert own.credit_code != code

    def test_referred_by_by_name(self, rep_client, own):
        response = rep_client.post(
            reverse("claims:register"),
            {"name": "介绍来的公司", "phones": "0536-7654321", "need": "数控车床", "relationship_level": "ordinary",
             "status": "prospect", "referred_by": "青岛杰航机械有限责任公司"},
        )  # fmt: skip
        assert response.status_code == 302
        assert Customer.objects.get(name="介绍来的公司").referred_by == own

    def test_referred_by_unknown_name_is_an_error(self, rep_client, foreign):
        response = rep_client.post(
            reverse("claims:register"),
            {"name": "介绍来的公司", "phones": "0536-7654321", "need": "数控车床", "relationship_level": "ordinary",
             "status": "prospect", "referred_by": foreign.name},
        )  # fmt: skip
        assert response.status_code == 200
        assert "No customer you can see" in response.content.decode()

    def test_manager_override_needs_reason(self, manager_client, own, rep):
        url = reverse("crm:customer_set_grade", args=[own.pk])
        response = manager_client.post(url, {"grade": "B", "reason": ""})
        assert response.status_code == 400
        own.refresh_from_db()
        assert own.grade == "A"
        response = manager_client.post(url, {"grade": "B", "reason": "Budget frozen this year"})
        assert response.status_code == 302
        own.refresh_from_db()
        assert own.grade == "B" and own.grade_changes.first().reason == "Budget frozen this year"

    def test_rep_cannot_override_grade(self, rep_client, own):
        response = rep_client.post(reverse("crm:customer_set_grade", args=[own.pk]), {"grade": "C", "reason": "x"})
        assert response.status_code == 403

    def test_contact_added_with_htmx_returns_list(self, rep_client, own):
        response = rep_client.post(
            reverse("crm:contact_create", args=[own.pk]),
            {"name": "李总", "buying_role": "decision_maker", "communication_style": "driver"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        assert response["HX-Retarget"] == "#contacts"
        assert "Be brief and lead with the benefits." in response.content.decode()
        assert own.contacts.get().name == "李总"
        assert 'data-testid="contact-saved"' in response.content.decode()  # confirmed where it was added
        assert "Contact 李总 saved." in response.content.decode()

    def test_card_offers_call_log_and_add_contact_at_the_top(self, rep_client, own):
        ContactFactory(customer=own, is_primary=True, phones="139 0000 1111")
        page = rep_client.get(reverse("crm:customer_detail", args=[own.pk])).content.decode()
        actions = page[page.index('data-testid="card-actions"') :]
        assert actions.index('href="tel:13900001111"') < actions.index("Log visit") < actions.index("Add contact")

    def test_contact_of_another_customer_not_reachable(self, rep_client, own, foreign):
        contact = ContactFactory(customer=foreign)
        url = reverse("crm:contact_update", args=[own.pk, contact.pk])
        assert rep_client.get(url).status_code == 404
        assert rep_client.post(reverse("crm:contact_delete", args=[own.pk, contact.pk])).status_code == 404


class TestExport:
    def test_rep_may_not_export(self, rep_client):
        assert rep_client.get(reverse("crm:customer_export", args=["csv"])).status_code == 403

    def test_csv_has_visible_filtered_rows_and_neutralises_formulas(self, manager_client, rep, foreign):
        CustomerFactory(owner=rep, name='=HYPERLINK("http://x")', grade="C")
        CustomerFactory(owner=rep, name="青岛A级客户", grade="A")
        response = manager_client.get(reverse("crm:customer_export", args=["csv"]), {"grade": ["C"]})
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][1] == "Company name"
        assert [row[1] for row in rows[1:]] == ['\'=HYPERLINK("http://x")']

    def test_xlsx_contents(self, manager_client, rep):
        CustomerFactory(owner=rep, name="青岛杰航机械有限公司", annual_purchases=Decimal(1_500_000))
        response = manager_client.get(reverse("crm:customer_export", args=["xlsx"]))
        sheet = load_workbook(io.BytesIO(response.content)).active
        values = list(sheet.iter_rows(values_only=True))
        assert values[1][1] == "青岛杰航机械有限公司"
        assert values[1][13] == 1_500_000

    def test_unknown_format_404(self, manager_client):
        assert manager_client.get(reverse("crm:customer_export", args=["pdf"])).status_code == 404


def test_dossier_pdf_contains_chinese_text(rep_client, own):
    ContactFactory(customer=own, name="王建国", buying_role=BuyingRole.DECISION_MAKER)
    response = rep_client.get(reverse("crm:customer_dossier", args=[own.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = "".join("".join(page.extract_text().split()) for page in pages)  # table cells wrap lines
    assert "青岛杰航机械有限公司" in text
    assert "王建国" in text
    # The grade's label already starts with its letter: written once, not "A A：重点客户".
    with translation.override("zh-hans"):
        grade_label = "".join(str(own.get_grade_display()).split())
    assert grade_label in text
    assert f"{own.grade}{grade_label}" not in text


@pytest.mark.django_db
def test_list_sorts_by_name_and_a_search_too(manager_client, rep):
    for name in ["b青岛测试有限公司", "A青岛测试有限公司", "c青岛测试有限公司"]:
        CustomerFactory(name=name, owner=rep)
    page = manager_client.get(reverse("crm:customer_list")).context["page"]
    assert [c.name for c in page] == ["A青岛测试有限公司", "b青岛测试有限公司", "c青岛测试有限公司"]
    assert manager_client.get(reverse("crm:customer_list")).context["counts"]["total"] == 3
    found = manager_client.get(reverse("crm:customer_list"), {"q": "青岛测试"}).context["page"]
    assert [c.name for c in found] == ["A青岛测试有限公司", "b青岛测试有限公司", "c青岛测试有限公司"]
