import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from crm.complaints.models import Complaint, ComplaintEvent, State
from crm.complaints.services import complaint_move, complaint_record
from crm.models import Grade
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory
from tests.queries import list_count_planning

pytestmark = pytest.mark.django_db

LIST = reverse("complaints:list")
MEASURES = reverse("complaints:measures")


def record(customer, actor, **fields):
    values = {
        "customer": customer,
        "complainant_name": "李女士",
        "description": "订单20240308的货物延迟2天到货，客户门店缺货。",
        "category": "delivery_delay",
        "severity": "normal",
        **fields,
    }
    return complaint_record(complaint=Complaint(**values), actor=actor)


def move(complaint, actor, *steps):
    for step in steps:
        complaint = complaint_move(complaint=complaint, actor=actor, to_state=step, note="")
    return complaint


def content(response):
    return response.content.decode()


@pytest.fixture
def own(rep):
    return CustomerFactory(name="青岛杰航机械有限公司", owner=rep, grade=Grade.A)


@pytest.fixture
def foreign(db):
    return CustomerFactory(name="济南别人家有限公司", owner=UserFactory(team=TeamFactory()))


@pytest.fixture
def complaint(own, rep):
    return record(own, rep)


def detail(complaint):
    return reverse("complaints:detail", args=[complaint.pk])


class TestCreate:
    def url(self, customer):
        return reverse("complaints:create", args=[customer.pk])

    def form_data(self, **fields):
        return {
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "complainant_name": "",
            "description": "主轴异响，客户已停机。",
            "reference": "VMC850-23117",
            "category": "quality",
            "severity": "critical",
            **fields,
        }

    def test_rep_records_a_complaint_from_a_contact(self, rep_client, rep, own):
        contact = ContactFactory(customer=own, name="王建国", phones="13800001111")
        response = rep_client.post(self.url(own), self.form_data(complainant=contact.pk))
        complaint = Complaint.objects.get()
        assert response.status_code == 302 and response["Location"] == detail(complaint)
        assert complaint.complainant == contact and complaint.phone == "13800001111"  # taken from the contact
        assert complaint.assignee == rep and complaint.created_by == rep and complaint.state == State.OPEN
        assert complaint.respond_by == complaint.received_at + datetime.timedelta(hours=4)
        assert list(complaint.events.values_list("from_state", "to_state")) == [("", State.OPEN)]

    def test_form_offers_only_this_customers_contacts(self, rep_client, own):
        ContactFactory(customer=own, name="王建国", title="总经理")
        ContactFactory(customer=CustomerFactory(owner=None), name="别家联系人")
        page = content(rep_client.get(self.url(own)))
        assert "王建国 · 总经理" in page and "别家联系人" not in page

    def test_any_rep_who_sees_the_customer_records_and_the_owner_handles_it(self, client, rep, team):
        pooled = CustomerFactory(owner=None)
        client.force_login(rep)
        client.post(self.url(pooled), self.form_data(complainant_name="赵先生"))
        assert Complaint.objects.get(customer=pooled).assignee == rep  # nobody owns it: the one who recorded it
        teammate = UserFactory(team=team)
        held = CustomerFactory(owner=teammate)
        manager = team.manager
        client.force_login(manager)
        client.post(self.url(held), self.form_data(complainant_name="赵先生"))
        assert Complaint.objects.get(customer=held).assignee == teammate

    def test_another_teams_customer_is_404(self, rep_client, foreign):
        assert rep_client.get(self.url(foreign)).status_code == 404
        assert rep_client.post(self.url(foreign), self.form_data(complainant_name="x")).status_code == 404
        assert not Complaint.objects.exists()

    def test_contact_of_another_customer_is_refused_and_nothing_typed_is_lost(self, rep_client, own):
        stranger = ContactFactory(customer=CustomerFactory(owner=None))
        data = self.form_data(complainant=stranger.pk, phone="13900002222", root_cause="导轨润滑不足")
        response = rep_client.post(self.url(own), data)
        assert response.status_code == 200 and not Complaint.objects.exists()
        page = content(response)
        assert "Select a valid choice" in page
        assert "主轴异响，客户已停机。" in page and "VMC850-23117" in page and "13900002222" in page
        assert "导轨润滑不足" in page  # folded under "More", kept too

    def test_a_complainant_is_needed(self, rep_client, own):
        response = rep_client.post(self.url(own), self.form_data())
        assert "Choose the contact who complained or write their name." in content(response)
        assert not Complaint.objects.exists()

    def test_service_refusal_is_shown_on_the_form(self, rep_client, own, monkeypatch):
        from django.core.exceptions import ValidationError

        def refuse(**kwargs):
            raise ValidationError({"complainant": "Choose one of this customer's contacts.", "respond_by": "later"})

        monkeypatch.setattr("crm.complaints.views.complaint_record", refuse)
        response = rep_client.post(self.url(own), self.form_data(complainant_name="赵先生"))
        page = content(response)
        assert response.status_code == 200
        assert "Choose one of this customer&#x27;s contacts." in page and "later" in page
        assert "赵先生" in page and "主轴异响，客户已停机。" in page

    def test_received_in_the_future_refused(self, rep_client, own):
        later = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        response = rep_client.post(self.url(own), self.form_data(complainant_name="x", received_at=later))
        assert "not before" in content(response) and not Complaint.objects.exists()


class TestMove:
    def post(self, client, complaint, to_state, note=""):
        return client.post(reverse("complaints:move", args=[complaint.pk]), {"to_state": to_state, "note": note})

    def test_through_every_step_with_history(self, manager_client, manager, complaint):
        assert self.post(manager_client, complaint, "investigating", "已致电客户").status_code == 302
        Complaint.objects.filter(pk=complaint.pk).update(resolution_actions="当日补发货物，运费由我方承担")
        self.post(manager_client, complaint, "resolved")
        Complaint.objects.filter(pk=complaint.pk).update(customer_response="接受处理方案")
        self.post(manager_client, complaint, "closed")
        response = self.post(manager_client, complaint, "open", "客户反映问题再次出现")
        assert response.status_code == 302
        steps = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("from_state", "to_state", "note"))
        assert steps == [
            ("", "open", ""),
            ("open", "investigating", "已致电客户"),
            ("investigating", "resolved", ""),
            ("resolved", "closed", ""),
            ("closed", "open", "客户反映问题再次出现"),
        ]
        page = content(manager_client.get(detail(complaint)))
        assert page.count('data-testid="event"') == 5 and "客户反映问题再次出现" in page

    def test_success_is_announced(self, manager_client, complaint):
        response = self.post(manager_client, complaint, "investigating")
        assert "The complaint is now “Investigating”." in content(manager_client.get(response["Location"]))

    @pytest.mark.parametrize(
        ("prepare", "to_state", "message", "field"),
        [
            ([], "resolved", "Write what was done for the customer before marking it resolved.", "resolution_actions"),
            ([], "closed", "A complaint that is Open cannot be moved to Closed.", None),
            ([], "bogus", "A complaint that is Open cannot be moved to ?.", None),
            (["resolved"], "closed", "Record the customer&#x27;s response before closing", "customer_response"),
            (["resolved"], "open", "Say why the complaint is reopened.", "note"),
            (["resolved"], "investigating", "A complaint that is Resolved cannot be moved to Investigating.", None),
        ],
    )
    def test_refusals_are_shown_and_change_nothing(
        self, manager_client, manager, complaint, prepare, to_state, message, field
    ):
        if prepare:
            Complaint.objects.filter(pk=complaint.pk).update(resolution_actions="补发")
            complaint = move(complaint, manager, *prepare)
        events_before = complaint.events.count()
        response = self.post(manager_client, complaint, to_state, note="  " if to_state == "open" else "客户来电")
        assert response.status_code == 400
        page = content(response)
        assert message in page
        form = response.context["step_form"]
        if field:  # under the field to fill in, which the page brings into view
            assert message.replace("&#x27;", "'") in form.errors[field][0]
            assert form.fields[field].widget.attrs.get("autofocus")
        else:
            assert "alert-danger" in page
        assert Complaint.objects.get(pk=complaint.pk).state == complaint.state
        assert complaint.events.count() == events_before
        if to_state != "open":
            assert "客户来电" in page  # the note typed is still in the box

    def test_the_step_form_asks_for_what_each_step_still_needs(self, manager_client, manager, complaint):
        page = content(manager_client.get(detail(complaint)))
        assert 'name="resolution_actions"' in page and "Needed to mark it resolved." in page
        assert 'name="customer_response"' not in page  # closing is not a step from "open"
        complaint = move(complaint, manager, "investigating")
        Complaint.objects.filter(pk=complaint.pk).update(resolution_actions="补发")
        complaint = move(complaint, manager, "resolved")
        page = content(manager_client.get(detail(complaint)))
        assert 'name="customer_response"' in page and 'name="resolution_actions"' not in page
        Complaint.objects.filter(pk=complaint.pk).update(customer_response="接受")
        page = content(manager_client.get(detail(complaint)))
        assert 'name="customer_response"' not in page  # filled in on the edit page: nothing left to ask

    def test_resolve_and_close_in_one_submit_each(self, manager_client, complaint):
        url = reverse("complaints:move", args=[complaint.pk])
        data = {"to_state": "resolved", "note": "客户来电", "resolution_actions": "当日补发货物，运费由我方承担"}
        assert manager_client.post(url, data).status_code == 302
        response = manager_client.post(url, {"to_state": "closed", "customer_response": "客户接受处理方案"})
        assert response.status_code == 302
        complaint.refresh_from_db()
        assert complaint.state == State.CLOSED
        assert (complaint.resolution_actions, complaint.customer_response) == (
            "当日补发货物，运费由我方承担", "客户接受处理方案",
        )  # fmt: skip
        page = content(manager_client.get(detail(complaint)))
        assert page.count('data-testid="event"') == 5  # recorded, two edits, two steps

    def test_a_refused_step_keeps_everything_typed(self, manager_client, manager, complaint):
        Complaint.objects.filter(pk=complaint.pk).update(resolution_actions="补发")
        complaint = move(complaint, manager, "resolved")
        url = reverse("complaints:move", args=[complaint.pk])
        response = manager_client.post(url, {"to_state": "open", "note": " ", "customer_response": "客户仍不满意"})
        assert response.status_code == 400
        page = content(response)
        assert "Say why the complaint is reopened." in page and "客户仍不满意</textarea>" in page
        complaint.refresh_from_db()
        assert complaint.state == State.RESOLVED and complaint.customer_response == ""

    def test_only_those_who_may_handle_it_move_it(self, client, rep, complaint):
        pooled = CustomerFactory(owner=None)
        recorded_by_other = record(pooled, UserFactory(team=TeamFactory()))
        client.force_login(rep)
        assert self.post(client, recorded_by_other, "investigating").status_code == 403
        page = content(client.get(detail(recorded_by_other)))
        assert (
            'data-testid="move-form"' not in page
            and reverse("complaints:edit", args=[recorded_by_other.pk]) not in page
        )
        assert self.post(client, complaint, "investigating").status_code == 302  # their own customer's

    def test_invisible_complaint_is_404(self, rep_client, foreign):
        hidden = record(foreign, foreign.owner)
        assert self.post(rep_client, hidden, "investigating").status_code == 404
        assert Complaint.objects.get(pk=hidden.pk).state == State.OPEN

    def test_get_is_not_allowed(self, rep_client, complaint):
        assert rep_client.get(reverse("complaints:move", args=[complaint.pk])).status_code == 405


class TestDetail:
    def test_shows_fields_history_and_the_allowed_steps(self, rep_client, complaint):
        page = content(rep_client.get(detail(complaint)))
        assert "订单20240308的货物延迟2天到货" in page and "李女士" in page
        assert 'value="investigating"' in page and 'value="resolved"' in page and 'value="closed"' not in page
        assert reverse("complaints:edit", args=[complaint.pk]) in page

    def test_overdue_is_marked(self, rep_client, own, rep):
        late = record(own, rep, received_at=timezone.now() - datetime.timedelta(days=4))
        assert 'data-testid="overdue"' in content(rep_client.get(detail(late)))

    def test_visibility_by_role(self, client, rep, manager, admin_user, team, foreign):
        teammates = record(CustomerFactory(owner=UserFactory(team=team)), manager)
        others = record(foreign, foreign.owner)
        expected = {rep: {teammates: 404, others: 404}, manager: {teammates: 200, others: 404}}
        expected[admin_user] = {teammates: 200, others: 200}
        for user, codes in expected.items():
            client.force_login(user)
            for complaint, code in codes.items():
                for name in ["complaints:detail", "complaints:edit", "complaints:pdf"]:
                    response = client.get(reverse(name, args=[complaint.pk]))
                    assert response.status_code == code, (user.role, name)
                    if code == 404:
                        assert complaint.customer.name not in content(response)

    def test_query_count_constant(self, django_assert_num_queries, manager_client, manager, complaint):
        # session, user, complaint with customer/owner/complainant/assignee/recorder, may-handle check, events,
        # attachments, and the manager's navigation counts (due, disputes, escalations, unread notifications)
        manager_client.get(detail(complaint))  # warm: the content-type cache the attachments read may be cold
        with django_assert_num_queries(10) as small:
            manager_client.get(detail(complaint))
        Complaint.objects.filter(pk=complaint.pk).update(resolution_actions="补发", customer_response="接受")
        for _ in range(5):
            complaint = move(complaint, manager, "resolved", "closed")
            complaint = complaint_move(complaint=complaint, actor=manager, to_state="open", note="再次出现")
        assert complaint.events.count() == 16
        with django_assert_num_queries(len(small.captured_queries)):
            manager_client.get(detail(complaint))


class TestEdit:
    def url(self, complaint):
        return reverse("complaints:edit", args=[complaint.pk])

    def data(self, complaint, **fields):
        values = {
            "root_cause": "物流供应商遇暴雨延误",
            "resolution_actions": "当日补发货物（加急顺丰，运费由我方承担）",
            "customer_response": "",
            "improvement_measures": "恶劣天气提前24小时通知客户",
            "severity": complaint.severity,
            "category": complaint.category,
            "assignee": complaint.assignee_id,
            "reference": "20240308",
        }
        return {**values, **fields}

    def test_assignee_fills_in_the_handling(self, rep_client, complaint):
        response = rep_client.post(self.url(complaint), self.data(complaint))
        assert response.status_code == 302
        complaint.refresh_from_db()
        assert complaint.resolution_actions.startswith("当日补发") and complaint.reference == "20240308"

    def test_manager_reassigns_and_a_new_severity_moves_the_deadline(self, manager_client, team, complaint):
        teammate = UserFactory(team=team)
        manager_client.post(self.url(complaint), self.data(complaint, assignee=teammate.pk, severity="high"))
        complaint.refresh_from_db()
        assert complaint.assignee == teammate
        assert complaint.respond_by == complaint.received_at + datetime.timedelta(hours=24)

    def test_rep_who_only_sees_it_may_not_edit(self, client, rep):
        pooled = record(CustomerFactory(owner=None), UserFactory(team=TeamFactory()))
        client.force_login(rep)
        assert client.get(self.url(pooled)).status_code == 403
        assert client.post(self.url(pooled), self.data(pooled)).status_code == 403

    def test_a_resolved_complaint_keeps_its_actions(self, manager_client, manager, complaint):
        Complaint.objects.filter(pk=complaint.pk).update(resolution_actions="补发")
        complaint = move(complaint, manager, "resolved")
        response = manager_client.post(self.url(complaint), self.data(complaint, resolution_actions=" "))
        assert response.status_code == 200 and "A complaint that is Resolved needs this filled in." in content(response)
        assert Complaint.objects.get(pk=complaint.pk).resolution_actions == "补发"

    def test_saving_does_not_undo_a_step_taken_meanwhile(self, manager_client, manager, complaint):
        from crm.complaints import forms

        form = forms.ComplaintEditForm(self.data(complaint), instance=complaint, actor=manager)
        assert form.is_valid()
        move(Complaint.objects.get(pk=complaint.pk), manager, "investigating")
        form.save()
        assert Complaint.objects.get(pk=complaint.pk).state == State.INVESTIGATING


class TestList:
    def test_each_role_sees_the_complaints_of_the_customers_it_sees(self, client, rep, manager, team, own, foreign):
        mine = record(own, rep)
        pooled = record(CustomerFactory(owner=None), rep)
        teammates = record(CustomerFactory(owner=UserFactory(team=team)), manager)
        record(foreign, foreign.owner)
        client.force_login(rep)
        assert set(client.get(LIST).context["page"]) == {mine, pooled}
        client.force_login(manager)
        assert set(client.get(LIST).context["page"]) == {mine, pooled, teammates}

    def test_newest_first_with_overdue_badge(self, rep_client, rep, own):
        old = record(own, rep, received_at=timezone.now() - datetime.timedelta(days=5))
        new = record(own, rep)
        response = rep_client.get(LIST)
        assert list(response.context["page"]) == [new, old]
        assert content(response).count('data-testid="overdue"') == 1

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"state": ["investigating"]}, ["investigating"]),
            ({"state": ["open", "closed"]}, ["late", "closed"]),
            ({"severity": ["critical"]}, ["investigating"]),
            ({"category": "billing"}, ["closed"]),
            ({"grade": ["A"]}, ["late", "investigating"]),
            ({"grade": ["C"]}, ["closed"]),
            ({"overdue": "true"}, ["late"]),
            ({"overdue": "false"}, ["investigating", "closed"]),
            ({"assignee": "other"}, ["closed"]),
            ({"received_after": "DAY-4", "received_before": "DAY-1"}, ["late"]),
            ({"received_after": "DAY-0"}, ["investigating", "closed"]),
            ({"q": "VMC850"}, ["investigating"]),
            ({"customer": "pooled"}, ["closed"]),
        ],
    )
    def test_filters(self, manager_client, manager, rep, own, params, expected):
        today = timezone.localdate()
        other = UserFactory(team=rep.team)
        pooled = CustomerFactory(owner=None, grade=Grade.C)
        complaints = {
            "late": record(own, rep, received_at=timezone.now() - datetime.timedelta(days=4)),
            "investigating": move(record(own, rep, severity="critical", reference="VMC850-1"), rep, "investigating"),
            "closed": record(pooled, other, category="billing", resolution_actions="a", customer_response="b"),
        }
        move(complaints["closed"], manager, "resolved", "closed")
        values = {"other": str(other.pk), "pooled": str(pooled.pk)}
        for days in range(5):
            values[f"DAY-{days}"] = (today - datetime.timedelta(days=days)).isoformat()
        query = {key: [values.get(v, v) for v in value] if isinstance(value, list) else values.get(value, value)
                 for key, value in params.items()}  # fmt: skip
        page = manager_client.get(LIST, query).context["page"]
        assert set(page) == {complaints[name] for name in expected}

    def test_customer_filter_names_the_customer(self, rep_client, rep, own):
        record(own, rep)
        response = rep_client.get(LIST, {"customer": own.pk})
        assert 'data-testid="for-customer"' in content(response) and own.name in content(response)

    def test_next_and_previous_walk_complaints_received_at_the_same_moment(self, rep_client, rep, own, monkeypatch):
        monkeypatch.setattr("crm.complaints.views.PAGE_SIZE", 3)
        moment = timezone.now().replace(microsecond=123456)
        made = [record(own, rep, received_at=moment - datetime.timedelta(days=index % 2)) for index in range(8)]
        newest_first = sorted(made, key=lambda complaint: (complaint.received_at, complaint.pk), reverse=True)

        pages = [rep_client.get(LIST).context["page"]]
        while pages[-1].has_next:
            pages.append(rep_client.get(LIST, {"after": pages[-1].next_cursor}).context["page"])
        back = [pages[-1]]
        while back[-1].previous_cursor:
            back.append(rep_client.get(LIST, {"before": back[-1].previous_cursor}).context["page"])

        assert [complaint for page in pages for complaint in page] == newest_first
        assert [list(page) for page in reversed(back)] == [list(page) for page in pages]
        assert list(rep_client.get(LIST, {"page": 2}).context["page"]) == newest_first[3:6]  # an old link

    @pytest.mark.postgres
    def test_a_long_list_shows_an_estimated_count_and_says_so(self, rep_client, rep, own, monkeypatch):
        from django.db import connection

        monkeypatch.setattr("crm.paging.COUNT_EXACT_UP_TO", 3)
        monkeypatch.setattr("crm.complaints.views.PAGE_SIZE", 2)
        for _ in range(6):
            record(own, rep)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE crm_complaint, crm_customer")

        response = rep_client.get(LIST)

        assert response.context["count"].estimated and "about" in content(response)
        monkeypatch.setattr("crm.paging.COUNT_EXACT_UP_TO", 1000)
        counted = rep_client.get(LIST).context["count"]
        assert (counted.value, counted.estimated) == (6, False)

    def test_query_count_constant(self, django_assert_num_queries, manager_client, manager, rep, own):
        for _ in range(3):
            record(own, rep)
        # session, user, the manager's people by id and the EXPLAIN of the count (crm/paging.py), count, page rows,
        # assignee choices, and the manager's navigation counts (due, disputes, escalations, unread notifications)
        with django_assert_num_queries(9 + list_count_planning()) as small:
            manager_client.get(LIST)
        teammate = UserFactory(team=rep.team)
        for index in range(60):
            record(CustomerFactory(owner=teammate if index % 2 else rep), manager, severity="high")
        with django_assert_num_queries(len(small.captured_queries)):
            response = manager_client.get(LIST, {"page": 1, "severity": ["high", "normal"]})
        assert len(response.context["page"]) == 50


class TestMeasures:
    def test_grouped_by_category_and_limited_to_what_the_user_sees(self, client, rep, manager, team, own, foreign):
        record(own, rep, improvement_measures="恶劣天气提前24小时通知客户")
        record(own, rep, category="quality", improvement_measures="主轴维修后增加4小时跑合测试")
        record(own, rep, category="quality")  # no measure: not listed
        teammates = CustomerFactory(owner=UserFactory(team=team), name="潍坊恒锐精密机械有限公司")
        record(teammates, manager, category="quality", improvement_measures="售后上门前核对备件清单")
        record(foreign, foreign.owner, improvement_measures="别的团队的措施")
        client.force_login(rep)
        response = client.get(MEASURES)
        groups = {
            category.value: [c.improvement_measures for c in rows] for category, rows in response.context["groups"]
        }
        assert groups == {"delivery_delay": ["恶劣天气提前24小时通知客户"], "quality": ["主轴维修后增加4小时跑合测试"]}
        assert list(response.context["groups"])[0][0] == "delivery_delay"  # in the order of the categories
        client.force_login(manager)
        page = content(client.get(MEASURES))
        assert "售后上门前核对备件清单" in page and "潍坊恒锐精密机械有限公司" in page and "别的团队的措施" not in page


def pdf_text(response):
    assert response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    return "".join("".join(page.extract_text().split()) for page in pages)  # table cells wrap lines


class TestPdf:
    @pytest.fixture
    def handled(self, own, rep, manager):
        contact = ContactFactory(customer=own, name="王建国", title="采购经理", phones="13856781234")
        complaint = record(
            own, rep, complainant=contact, complainant_name="", phone=contact.phones, reference="20240308",
            root_cause="物流供应商突发暴雨，运输延误", resolution_actions="当日补发货物；赠送500元代金券",
            customer_response="接受处理方案，对代金券表示感谢", improvement_measures="建立物流风险预警机制",
        )  # fmt: skip
        return move(complaint, manager, "investigating", "resolved", "closed")

    def test_record_in_english(self, rep_client, handled):
        text = pdf_text(rep_client.get(reverse("complaints:pdf", args=[handled.pk])))
        for expected in ["Customercomplaintrecord", "Root-causeanalysis", "Improvementmeasures",
                         "Customer'sresponse", "History", "Investigating→Resolved", "Closed"]:  # fmt: skip
            assert expected in text
        for expected in ["青岛杰航机械有限公司", "王建国", "13856781234", "当日补发货物", "建立物流风险预警机制"]:
            assert expected in text

    def test_record_in_chinese(self, rep_client, handled):
        response = rep_client.get(reverse("complaints:pdf", args=[handled.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
        text = pdf_text(response)
        for expected in [
            "客户",
            "事件经过",  # the complaint's word (msgctxt "complaint"), not the dispute's 事由
            "打印时间",
            "青岛杰航机械有限公司",
            "王建国",
            "接受处理方案，对代金券表示感谢",
        ]:
            assert expected in text

    def test_dossier_lists_complaints(self, rep_client, own, handled):
        response = rep_client.get(reverse("crm:customer_dossier", args=[own.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
        text = pdf_text(response)
        assert "订单20240308的货物延迟2天到货" in text and "当日补发货物" in text


class TestCard:
    def test_card_lists_complaints_newest_first_and_offers_to_record_one(self, rep_client, rep, own):
        old = record(own, rep, received_at=timezone.now() - datetime.timedelta(days=3), category="billing")
        new = record(own, rep, category="quality")
        page = content(rep_client.get(reverse("crm:customer_detail", args=[own.pk])))
        assert page.index(f'data-testid="complaint-{new.pk}"') < page.index(f'data-testid="complaint-{old.pk}"')
        assert reverse("complaints:create", args=[own.pk]) in page

    def test_card_links_to_all_when_there_are_many(self, rep_client, rep, own):
        for _ in range(11):
            record(own, rep)
        page = content(rep_client.get(reverse("crm:customer_detail", args=[own.pk])))
        assert page.count('data-testid="complaint-') == 10
        assert f"{LIST}?customer={own.pk}" in page
