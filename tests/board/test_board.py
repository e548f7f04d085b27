import datetime
import io
import re
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from claims.board.charts import board_charts
from claims.board.counting import Period, contacts_expected, day_start
from claims.board.digest import send_weekly_digests
from claims.board.models import WeeklyDigest
from claims.board.services import board_columns, board_scope, team_figures
from claims.board.tasks import weekly_digest_task
from claims.models import Claim, EventKind, OwnershipEvent
from crm.complaints.models import Complaint, State
from crm.models import BuyingRole, Customer, GradeChange, JobHeartbeat, Status
from tests.concurrency import run_at_once
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory
from visits.models import Method, Reminder, ReminderKind, ReminderState, Snooze, Visit

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

BOARD = reverse("board:board")
HTMX = {"HX-Request": "true"}
LONG_AGO = timezone.make_aware(datetime.datetime(2024, 1, 1))


def days(n):
    return datetime.timedelta(days=n)


def at(day, hour=10, minute=0):
    """An aware time on `day`, in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def visit(customer, day, *, author=None, method=Method.PHONE, hour=10, minute=0, **fields):
    return Visit.objects.create(
        customer=customer,
        author=author or customer.owner,
        method=method,
        started_at=at(day, hour, minute),
        logged_at=at(day, hour, minute) + datetime.timedelta(minutes=30),
        discussion="电话沟通",
        **fields,
    )


def customer(owner, grade="C", *, due=None, **fields):
    fields.setdefault("created_at", LONG_AGO)
    return CustomerFactory(owner=owner, grade=grade, next_follow_up_on=due, **fields)


def card_names(response, grade):
    column = next(col for col in response.context["columns"] if col.grade == grade)
    return [card.customer.name for card in column.cards]


@pytest.fixture
def other_rep(team, manager):
    return UserFactory(role="rep", team=team, first_name="丽", last_name="李")


@pytest.fixture
def outsider():
    """A rep of another team, with their own manager."""
    boss = UserFactory(role="manager")
    other_team = TeamFactory(manager=boss)
    boss.team = other_team
    boss.save()
    return UserFactory(role="rep", team=other_team)


class TestHome:
    def test_managers_and_admins_start_on_the_board_reps_on_their_day(self, client, rep, manager, admin_user):
        for user, target in ((manager, BOARD), (admin_user, BOARD), (rep, reverse("visits:day"))):
            client.force_login(user)
            response = client.get(reverse("home"))
            assert response.status_code == 302 and response["Location"] == target

    def test_reps_may_not_open_the_board(self, rep_client):
        assert rep_client.get(BOARD).status_code == 403

    def test_admin_sees_the_jobs_heartbeats_on_the_board(self, client, admin_user, manager):
        client.force_login(admin_user)
        assert "is the worker running?" in client.get(BOARD).content.decode()
        JobHeartbeat.beat("heartbeat")
        page = client.get(BOARD).content.decode()
        assert "heartbeat: last ran" in page and "is the worker running?" not in page
        client.force_login(manager)
        assert client.get(BOARD).context["heartbeats"] is None


class TestColumns:
    def test_most_overdue_first_then_ahead_then_undated(self, manager_client, rep):
        today = timezone.localdate()
        customer(rep, "A", due=today + days(5), name="五天后")
        customer(rep, "A", due=None, name="无日期")
        customer(rep, "A", due=today - days(3), name="逾期三天")
        customer(rep, "A", due=today - days(10), name="逾期十天")
        customer(rep, "A", due=today, name="今天到期")
        customer(rep, "B", due=today - days(30), name="B逾期")
        response = manager_client.get(BOARD)
        assert card_names(response, "A") == ["逾期十天", "逾期三天", "今天到期", "五天后", "无日期"]
        column = response.context["columns"][0]
        assert [card.days_overdue for card in column.cards] == [10, 3, 0, -5, None]
        assert (column.total, column.overdue) == (5, 2)
        assert card_names(response, "B") == ["B逾期"]
        assert card_names(response, "C") == []

    def test_card_shows_last_contact_next_step_complaints_protection_and_roles(self, manager_client, rep, manager):
        today = timezone.localdate()
        held = customer(rep, "A", due=today - days(2), name="青岛杰航机械有限公司")
        visit(held, today - days(9), method=Method.ONSITE, next_step="旧的下一步", next_step_due=today - days(1))
        visit(held, today - days(4), method=Method.WECHAT, next_step="发送报价", next_step_due=today + days(3))
        Claim.objects.create(customer=held, holder=rep, renewed_on=today, protected_until=today + days(45))
        for state in (State.OPEN, State.INVESTIGATING, State.RESOLVED):
            Complaint.objects.create(
                customer=held, complainant_name="王建国", description="交货延迟", category="delivery_delay",
                assignee=rep, created_by=rep, respond_by=timezone.now(), state=state, resolution_actions="补发",
            )  # fmt: skip
        ContactFactory(customer=held, buying_role=BuyingRole.COACH)

        card = manager_client.get(BOARD).context["columns"][0].cards[0]
        assert card.last_contact == (today - days(4), "WeChat")
        assert card.next_step == ("发送报价", today + days(3))  # the latest visit's, still ahead
        assert card.customer.open_complaints == 2  # open and investigating; resolved is not
        assert card.protection_days == 45
        assert card.role_warning == "Not yet known: Decision maker."

        Reminder.objects.create(
            customer=held, assignee=rep, kind=ReminderKind.NEXT_STEP, due_on=today - days(1), note="寄样品"
        )
        ContactFactory(customer=held, buying_role=BuyingRole.DECISION_MAKER)
        response = manager_client.get(BOARD)
        card = response.context["columns"][0].cards[0]
        assert card.next_step == ("寄样品", today - days(1))  # an open next-step reminder comes first
        assert card.role_warning == ""
        page = response.content.decode()
        assert "2 days overdue" in page and "2 open complaints" in page and "protected 45 more days" in page

    def test_column_titles_name_the_grade_once(self, manager_client, rep):
        customer(rep, "A")
        manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        for params in ({}, {"column": "A"}):  # the board, and the column shown in full
            page = manager_client.get(BOARD, params).content.decode()
            title = re.search(r'data-testid="column-A">.*?<h2[^>]*>(.*?)</h2>', page, re.DOTALL).group(1)
            assert re.sub("<[^>]+>", "", title).strip() == "A：重点客户"  # not "A A：重点客户"

    def test_a_past_next_step_without_a_reminder_is_not_open(self, manager_client, rep):
        today = timezone.localdate()
        held = customer(rep, "B", due=today)
        visit(held, today - days(5), next_step="打电话", next_step_due=today - days(1))
        Reminder.objects.create(
            customer=held, assignee=rep, kind=ReminderKind.NEXT_STEP, due_on=today - days(1), state=ReminderState.DONE
        )
        assert manager_client.get(BOARD).context["columns"][1].cards[0].next_step is None

    def test_columns_are_capped_with_a_link_to_all(self, manager_client, manager, rep, monkeypatch):
        monkeypatch.setattr("claims.board.services.COLUMN_LIMIT", 3)
        today = timezone.localdate()
        for n in range(4):
            customer(rep, "C", due=today - days(n), name=f"客户{n}")
        column = board_columns(board_scope(manager, None).customers(), today)[2]
        assert [card.customer.name for card in column.cards] == ["客户3", "客户2", "客户1"]
        assert column.hidden == 1
        page = manager_client.get(BOARD, {"owner": rep.pk}).content.decode()
        assert f'href="?owner={rep.pk}&amp;column=C" data-testid="show-all-C">Show all 4</a>' in page
        response = manager_client.get(BOARD, {"column": "C", "owner": rep.pk})
        assert [card.customer.name for card in response.context["page"]] == ["客户3", "客户2", "客户1", "客户0"]


class TestFilters:
    @pytest.fixture
    def spread(self, rep, other_rep):
        today = timezone.localdate()
        dm = customer(rep, "A", due=today - days(4), name="有决策者", region="山东省", industry="machinery")
        ContactFactory(customer=dm, buying_role=BuyingRole.DECISION_MAKER)
        customer(rep, "A", due=today + days(4), name="未逾期", region="江苏省", industry="mold")
        customer(other_rep, "A", due=today - days(8), name="李的客户", region="山东省", status=Status.ACTIVE)
        customer(other_rep, "B", due=today - days(1), name="李的B客户", region="山东省", industry="machinery")

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, {"有决策者", "未逾期", "李的客户", "李的B客户"}),
            ({"owner": "rep"}, {"有决策者", "未逾期"}),
            ({"region": "江苏"}, {"未逾期"}),
            ({"industry": "machinery"}, {"有决策者", "李的B客户"}),
            ({"status": "active"}, {"李的客户"}),
            ({"overdue": "on"}, {"有决策者", "李的客户", "李的B客户"}),
            ({"no_decision_maker": "on"}, {"未逾期", "李的客户", "李的B客户"}),
            ({"grade": "B"}, {"李的B客户"}),
            ({"owner": "rep", "overdue": "on", "grade": "A"}, {"有决策者"}),
        ],
    )
    def test_each_filter(self, manager_client, rep, spread, params, expected):
        params = {key: rep.pk if value == "rep" else value for key, value in params.items()}
        response = manager_client.get(BOARD, params)
        shown = {card.customer.name for col in response.context["columns"] for card in col.cards}
        assert shown == expected

    def test_grade_filter_shows_only_that_column(self, manager_client, spread):
        response = manager_client.get(BOARD, {"grade": "A"})
        assert [col.grade for col in response.context["columns"]] == ["A"]


class TestVisibility:
    def test_manager_sees_only_their_team(self, manager_client, rep, outsider):
        customer(rep, "A", name="本组客户")
        customer(outsider, "A", name="外组客户")
        customer(None, "A", name="公海客户")
        response = manager_client.get(BOARD)
        assert card_names(response, "A") == ["本组客户"]
        assert outsider not in [row.person for row in response.context["figures"].rows]
        assert manager_client.get(BOARD, {"team": outsider.team_id}).status_code == 404
        assert manager_client.get(BOARD, {"owner": outsider.pk}).context["filter"].errors

    def test_admin_sees_every_team_and_can_switch(self, admin_client, rep, outsider):
        customer(rep, "A", name="本组客户")
        customer(outsider, "A", name="外组客户")
        response = admin_client.get(BOARD)
        assert set(card_names(response, "A")) == {"本组客户", "外组客户"}
        response = admin_client.get(BOARD, {"team": outsider.team_id})
        assert card_names(response, "A") == ["外组客户"]
        assert {row.person for row in response.context["figures"].rows} == {outsider, outsider.team.manager}

    def test_manager_cannot_act_on_another_teams_customer(self, manager_client, outsider):
        theirs = customer(outsider, "A")
        assert manager_client.get(reverse("board:reassign", args=[theirs.pk])).status_code == 404
        assert manager_client.post(reverse("board:set_grade", args=[theirs.pk]), {}).status_code == 404


class TestActions:
    def test_reassign_from_the_board_writes_history(self, manager_client, manager, rep, other_rep, register):
        held = register(rep, "青岛杰航机械有限公司").customer
        url = reverse("board:reassign", args=[held.pk])
        back = f"{BOARD}?owner={rep.pk}&overdue=on"

        form = manager_client.get(url, {"next": back}, headers={"HX-Request": "true"})
        assert form.status_code == 200 and "<html" not in form.content.decode()
        assert 'name="to_user"' in form.content.decode()

        refused = manager_client.post(url, {"to_user": other_rep.pk, "reason": " ", "next": back})
        assert refused.status_code == 400

        response = manager_client.post(url, {"to_user": other_rep.pk, "reason": "客户要求更换销售", "next": back})
        assert response.status_code == 302 and response["Location"] == back
        held.refresh_from_db()
        assert held.owner == other_rep
        event = OwnershipEvent.objects.filter(customer=held, kind=EventKind.TRANSFERRED).get()
        assert (event.actor, event.from_user, event.to_user, event.reason) == (
            manager,
            rep,
            other_rep,
            "客户要求更换销售",
        )

    def test_reassign_offers_everyone_but_the_holder(self, manager_client, manager, rep, other_rep):
        held = customer(rep, "A")
        form = manager_client.get(reverse("board:reassign", args=[held.pk]), headers=HTMX)
        choices = [int(pk) for pk in form.context["form"].fields["to_user"].queryset.values_list("pk", flat=True)]
        assert other_rep.pk in choices and manager.pk in choices and rep.pk not in choices

    def test_reassign_refused_in_place_keeps_what_was_typed(self, manager_client, rep, other_rep):
        held = customer(rep, "A")
        url = reverse("board:reassign", args=[held.pk])
        back = f"{BOARD}?owner={rep.pk}&overdue=on#card-{held.pk}"
        response = manager_client.post(
            url, {"to_user": rep.pk, "reason": "客户要求更换销售", "next": back}, headers=HTMX
        )  # the holder, as the old form offered
        page = response.content.decode()
        assert response.status_code == 400 and "<html" not in page  # the form alone, swapped into the card
        assert 'data-testid="transfer-form"' in page and f'hx-post="{url}"' in page
        assert "Select a valid choice" in page and "客户要求更换销售" in page
        assert f'data-empties="#actions-{held.pk}"' in page  # Cancel folds the form away
        assert f'value="{BOARD}?owner={rep.pk}&amp;overdue=on#card-{held.pk}"' in page  # filters kept for after
        held.refresh_from_db()
        assert held.owner == rep and not OwnershipEvent.objects.filter(customer=held).exists()

    def test_reassign_in_place_answers_with_the_card(self, manager_client, rep, other_rep):
        held = customer(rep, "A", name="青岛杰航机械有限公司")
        back = f"{BOARD}?owner={rep.pk}&overdue=on"
        response = manager_client.post(
            reverse("board:reassign", args=[held.pk]),
            {"to_user": other_rep.pk, "reason": "客户要求更换销售", "next": f"{back}#card-{held.pk}"},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert (response["HX-Retarget"], response["HX-Reswap"]) == (f"#card-{held.pk}", "outerHTML")
        page = response.content.decode()
        assert "<html" not in page and f'id="card-{held.pk}"' in page
        assert "“青岛杰航机械有限公司” now belongs to 李丽." in page
        assert response.context["card"].customer.owner == other_rep
        # the card's own links still lead back to the board as filtered, once
        assert f"next=/board/%3Fowner%3D{rep.pk}%26overdue%3Don%23card-{held.pk}" in page
        assert list(get_messages(response.wsgi_request)) == []  # said in the card, not on the next page

    def test_reassign_without_script_is_a_page_that_returns_to_the_board(self, manager_client, rep, other_rep):
        held = customer(rep, "A")
        url = reverse("board:reassign", args=[held.pk])
        back = f"{BOARD}?owner={rep.pk}&overdue=on#card-{held.pk}"
        page = manager_client.get(url, {"next": back}).content.decode()
        assert "<html" in page and "hx-post" not in page and "data-empties" not in page
        assert f'href="{BOARD}?owner={rep.pk}&amp;overdue=on#card-{held.pk}"' in page  # Cancel
        refused = manager_client.post(url, {"to_user": rep.pk, "reason": "客户要求", "next": back})
        assert refused.status_code == 400 and "<html" in refused.content.decode()
        done = manager_client.post(url, {"to_user": other_rep.pk, "reason": "客户要求", "next": back})
        assert done.status_code == 302 and done["Location"] == back

    def test_board_cards_link_their_actions_back_to_the_filtered_board(self, manager_client, rep):
        held = customer(rep, "A", due=timezone.localdate() - days(2))
        page = manager_client.get(BOARD, {"owner": rep.pk, "overdue": "on"}).content.decode()
        link = reverse("board:reassign", args=[held.pk])
        assert f'hx-get="{link}?next=/board/%3Fowner%3D{rep.pk}%26overdue%3Don%23card-{held.pk}"' in page

    def test_grade_in_place_answers_with_the_card(self, manager_client, rep):
        held = customer(rep, "C")
        response = manager_client.post(
            reverse("board:set_grade", args=[held.pk]),
            {"grade": "A", "reason": "行业龙头", "next": BOARD},
            headers=HTMX,
        )
        assert response.status_code == 200 and response["HX-Retarget"] == f"#card-{held.pk}"
        assert "Grade set to A." in response.content.decode()
        refused = manager_client.post(
            reverse("board:set_grade", args=[held.pk]), {"grade": "B", "reason": " "}, headers=HTMX
        )
        assert refused.status_code == 400 and "<html" not in refused.content.decode()
        assert 'data-testid="cancel"' in refused.content.decode()

    def test_reassign_refuses_a_rep_of_another_team(self, manager_client, rep, outsider):
        held = customer(rep, "A")
        response = manager_client.post(
            reverse("board:reassign", args=[held.pk]), {"to_user": outsider.pk, "reason": "试试"}
        )
        assert response.status_code == 400
        held.refresh_from_db()
        assert held.owner == rep

    def test_grade_override_from_the_board_writes_history(self, manager_client, manager, rep):
        held = customer(rep, "C")
        url = reverse("board:set_grade", args=[held.pk])
        assert "<html" in manager_client.get(url).content.decode()  # without htmx: a small page
        response = manager_client.post(
            url, {"grade": "A", "reason": "行业龙头，即将扩产", "next": "https://evil.example/"}
        )
        assert response.status_code == 302 and response["Location"] == BOARD  # only our own pages
        held.refresh_from_db()
        assert (held.grade, held.grade_overridden) == ("A", True)
        change = GradeChange.objects.get(customer=held)
        assert (change.from_grade, change.to_grade, change.is_override, change.changed_by, change.reason) == (
            "C", "A", True, manager, "行业龙头，即将扩产",
        )  # fmt: skip

    def test_grade_override_needs_a_reason(self, manager_client, rep):
        held = customer(rep, "C")
        response = manager_client.post(reverse("board:set_grade", args=[held.pk]), {"grade": "A", "reason": ""})
        assert response.status_code == 400
        assert not GradeChange.objects.filter(customer=held).exists()


class TestCompliance:
    """A hand-made team, its figures worked out by hand in the comments.

    Today is Monday 31 March 2025. The 30-day period is 2 – 31 March, the 90-day one 1 January – 31 March.
    Every customer was registered in 2024 unless said otherwise. Contacts owed: in 30 days A 4, B 2, C 1;
    in 90 days A 12, B 6, C 3.
    """

    TODAY = datetime.date(2025, 3, 31)

    @pytest.fixture
    def figures(self, manager, rep, other_rep):
        today = self.TODAY
        a1 = customer(rep, "A")  # 4 contacts, weekly: followed up in 30 days; 4 < 12 in 90
        for n in (1, 8, 15, 22):
            visit(a1, today - days(n))
        a2 = customer(rep, "A")  # 3 contacts: short of 4 in 30 days
        for n in (2, 9, 16):
            visit(a2, today - days(n), author=other_rep)  # anyone's contact counts for the customer
        b1 = customer(rep, "B")  # 2 in 30 days, 6 in 90: followed up in both
        for n in (5, 20, 35, 50, 65, 80):
            visit(b1, today - days(n))
        c1 = customer(rep, "C")  # 00:30 on 2 March, the first day of the 30-day period: counts
        visit(c1, today - days(29), hour=0, minute=30)
        c2 = customer(rep, "C")  # 23:59 on 1 March, the day before: does not count in 30 days
        visit(c2, today - days(30), hour=23, minute=59)
        customer(rep, "C", created_at=at(today - days(10)))  # registered inside both periods: not measured
        customer(rep, "C", status=Status.LOST)  # lost: not measured
        paused = customer(rep, "C")  # paused from 19 Feb to 11 Mar: not measured in either period
        Snooze.objects.create(customer=paused, until=today - days(20), reason="暂时不需要", created_by=rep)
        Snooze.objects.filter(customer=paused).update(created_at=at(today - days(40)))
        return team_figures(board_scope(manager, None), today)

    def test_expected_contacts_follow_the_cadence(self):
        assert [contacts_expected(30, cadence) for cadence in (7, 14, 30, 60)] == [4, 2, 1, 1]
        assert [contacts_expected(90, cadence) for cadence in (7, 14, 30)] == [12, 6, 3]

    def test_rep_compliance_by_hand(self, figures, rep):
        row = next(row for row in figures.rows if row.person == rep)
        last_30, last_90 = row.strip_compliance
        # measured: a1, a2, b1, c1, c2 (not the late, lost or paused ones); followed up: a1, b1, c1
        assert (last_30.done, last_30.of, last_30.percent) == (3, 5, 60)
        # measured: the same five; followed up: b1 only
        assert (last_90.done, last_90.of, last_90.percent) == (1, 5, 20)
        assert row.held == {"A": 2, "B": 1, "C": 5}

    def test_weekly_chart_by_hand(self, figures, rep):
        row = next(row for row in figures.rows if row.person == rep)
        this_week, last_week = figures.weeks[-1], figures.weeks[-2]
        assert (this_week, last_week) == (datetime.date(2025, 3, 31), datetime.date(2025, 3, 24))
        assert row.compliance[f"week_{this_week:%Y%m%d}"] == row.strip_compliance[0]
        # Week of 24 March: the 30 days 1 – 30 March. a1 4 contacts (30, 23, 16, 9 March), a2 3, b1 2 (26, 11 March),
        # c1 1 (2 March), c2 1 (1 March, now inside): followed up a1, b1, c1, c2 of the same five.
        week = row.compliance[f"week_{last_week:%Y%m%d}"]
        assert (week.done, week.of, week.percent) == (4, 5, 80)

    def test_other_rep_is_measured_on_their_own_customers(self, figures, other_rep):
        row = next(row for row in figures.rows if row.person == other_rep)
        assert row.strip_compliance[0].percent is None  # holds none: nothing measured
        assert row.total_held == 0

    def test_period_bounds(self):
        period = Period(30, self.TODAY)
        assert (period.starts_on, period.ends_on) == (datetime.date(2025, 3, 2), self.TODAY)
        assert day_start(period.starts_on) == at(datetime.date(2025, 3, 2), 0)


class TestStripAndCharts:
    def test_visits_this_week_late_logs_and_overdue(self, manager, rep):
        today = timezone.localdate()
        held = customer(rep, "A", due=today - days(1))
        customer(rep, "B", due=today + days(1))
        Visit.objects.create(customer=held, author=rep, started_at=timezone.now(), discussion="准时")
        Visit.objects.create(
            customer=held, author=rep, started_at=timezone.now() - days(2), logged_at=timezone.now(), discussion="补录"
        )
        Visit.objects.create(
            customer=held, author=rep, started_at=timezone.now() - days(20), logged_at=timezone.now() - days(19),
            discussion="上月",
        )  # fmt: skip
        figures = team_figures(board_scope(manager, None), today)
        row = next(row for row in figures.rows if row.person == rep)
        assert (row.visits_this_week, row.late_this_week) == (2, 1)  # by the day they were logged
        assert row.overdue == 1
        assert figures.overdue_bands["A"] == [1, 0, 0]

    def test_pool_flow_counts_by_week(self, manager, rep, outsider):
        today = timezone.localdate()
        held = customer(rep, "C")
        OwnershipEvent.objects.create(customer=held, kind=EventKind.RELEASED, from_user=rep, actor=rep)
        OwnershipEvent.objects.create(customer=held, kind=EventKind.LAPSED, from_user=rep)
        OwnershipEvent.objects.create(customer=held, kind=EventKind.CLAIMED, to_user=rep, actor=rep)
        OwnershipEvent.objects.create(customer=held, kind=EventKind.REGISTERED, to_user=rep, actor=rep)
        OwnershipEvent.objects.create(customer=held, kind=EventKind.DEPARTED, from_user=rep, to_user=outsider)
        OwnershipEvent.objects.create(customer=held, kind=EventKind.RELEASED, from_user=outsider, actor=outsider)
        figures = team_figures(board_scope(manager, None), today)
        assert figures.pool_flow[-1][1:] == (2, 1, 1)  # the outsider's release and the hand-over are not the team's
        assert all(week[1:] == (0, 0, 0) for week in figures.pool_flow[:-1])

    def test_charts_are_svg_on_the_page(self, manager_client, rep):
        held = customer(rep, "A", due=timezone.localdate() - days(40))
        visit(held, timezone.localdate() - days(1), method=Method.ONSITE)
        page = manager_client.get(BOARD).content.decode()
        for key in ("compliance", "overdue", "methods", "pool"):
            assert f'data-testid="chart-{key}"' in page
        assert page.count("<svg") >= 4 and "On-site visit" in page

    def test_charts_are_well_formed_svg_with_escaped_labels(self, manager, admin_user, rep):
        rep.first_name, rep.last_name = "<b>&", "王"
        rep.save()
        held = customer(rep, "A", due=timezone.localdate() - days(3))
        visit(held, timezone.localdate() - days(1))
        for user in (manager, admin_user):
            for chart in board_charts(team_figures(board_scope(user, None))):
                svg = ElementTree.fromstring(str(chart["svg"]))
                assert list(svg.iter("{http://www.w3.org/2000/svg}text")), chart["key"]
        heat = ElementTree.fromstring(str(board_charts(team_figures(board_scope(manager, None)))[0]["svg"]))
        assert "王<b>&" in [element.text for element in heat.iter("{http://www.w3.org/2000/svg}text")]

    def test_company_wide_the_strip_has_a_row_per_team(self, admin_client, rep, other_rep, outsider):
        today = timezone.localdate()
        customer(rep, "A", due=today - days(1))
        customer(other_rep, "B", due=today - days(1))
        customer(other_rep, "C", due=today + days(1))
        customer(outsider, "C", due=today - days(9))
        rows = admin_client.get(BOARD).context["figures"].rows
        totals = {row.label: (row.held, row.overdue) for row in rows}
        assert totals == {
            rep.team.name: ({"A": 1, "B": 1, "C": 1}, 2),
            outsider.team.name: ({"A": 0, "B": 0, "C": 1}, 1),
        }

    def test_compliance_definition_is_on_the_page(self, manager_client):
        text = manager_client.get(BOARD).content.decode()
        assert "A 4 / 12, B 2 / 6, C 1 / 3." in text


def pdf_pages(content):
    """Each page's text, without white space (pypdf spaces Chinese text unevenly)."""
    return ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def pdf_text(content):
    return "".join(pdf_pages(content))


class TestDigest:
    @pytest.fixture
    def team_data(self, rep):
        rep.first_name, rep.last_name = "建国", "王"
        rep.save()
        held = customer(rep, "A", due=timezone.localdate() - days(3), name="青岛杰航精密机械有限公司")
        visit(held, timezone.localdate() - days(10), method=Method.ONSITE, next_step="到厂演示", next_step_due=None)
        return held

    def test_weekly_digest_once_per_person_and_week(self, manager, admin_user, rep, team_data, outsider):
        monday = datetime.date(2025, 3, 31)
        Customer.objects.filter(pk=team_data.pk).update(next_follow_up_on=monday - days(3))  # overdue that day
        assert send_weekly_digests(monday) == 3  # our manager, the other team's manager, the admin
        assert send_weekly_digests(monday) == 0
        assert send_weekly_digests(monday + days(2)) == 0  # same ISO week
        recipients = sorted(address for message in mail.outbox for address in message.to)
        assert recipients == sorted([manager.email, admin_user.email, outsider.team.manager.email])
        assert rep.email not in recipients
        message = next(message for message in mail.outbox if message.to == [manager.email])
        name, content, mimetype = message.attachments[0]
        assert (name, mimetype) == ("board-2025-W14.pdf", "application/pdf")
        assert "青岛杰航精密机械有限公司" in pdf_text(content)
        assert "31 Mar 2025" in message.subject
        assert WeeklyDigest.objects.filter(week=monday, sent_at__isnull=False).count() == 3
        assert send_weekly_digests(monday + days(7)) == 3  # a new week

    def test_manager_digest_holds_their_team_admin_digest_every_team(self, manager, admin_user, team_data, outsider):
        customer(outsider, "A", due=timezone.localdate() - days(1), name="烟台外组客户有限公司")
        send_weekly_digests(timezone.localdate())
        by_recipient = {message.to[0]: pdf_text(message.attachments[0][1]) for message in mail.outbox}
        assert "烟台外组客户有限公司" not in by_recipient[manager.email]
        assert "青岛杰航精密机械有限公司" in by_recipient[manager.email]
        assert "烟台外组客户有限公司" in by_recipient[admin_user.email]
        assert "青岛杰航精密机械有限公司" in by_recipient[admin_user.email]

    def test_digest_in_the_recipients_language(self, manager, team_data):
        manager.language = "zh-hans"
        manager.save()
        send_weekly_digests(timezone.localdate())
        text = pdf_text(mail.outbox[0].attachments[0][1])
        assert "青岛杰航精密机械有限公司" in text and "王建国" in text
        for label in ("负责人", "上次联系", "下一步", "已逾期", "上门拜访"):  # Owner, Last contact, Next step, ...
            assert label in text, label
        assert "A：重点客户" in text and "AA：重点客户" not in text  # the grade's letter once
        assert "早上好" in mail.outbox[0].body

    def test_board_digest_pdf_downloads_in_chinese(self, manager_client, team_data):
        manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        response = manager_client.get(reverse("board:digest_pdf"))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        text = pdf_text(response.content)
        assert "青岛杰航精密机械有限公司" in text and "王建国" in text and "负责人" in text and "上门拜访" in text

    def test_digest_lists_only_the_overdue(self, manager_client, rep):
        today = timezone.localdate()
        customer(rep, "A", due=today - days(3), name="逾期三天机械有限公司")
        customer(rep, "A", due=today, name="今天到期机械有限公司")
        customer(rep, "A", due=today + days(2), name="两天后到期机械有限公司")
        customer(rep, "B", due=today + days(1), name="明天到期机械有限公司")
        pages = pdf_pages(manager_client.get(reverse("board:digest_pdf")).content)
        lists = "".join(pages)[("".join(pages)).index("Mostoverduecustomers") :]
        assert "逾期三天机械有限公司" in lists
        for name in ("今天到期机械有限公司", "两天后到期机械有限公司", "明天到期机械有限公司"):
            assert name not in lists, name  # not yet due is not overdue
        assert "A:keyaccount·3customers·Overdue1" in lists  # the counts still count every customer
        assert "B:developing·1customer·Overdue0CustomerOwnerDaysoverdueLastcontactNextstepNotesNothingoverdue." in lists
        assert "-1" not in lists and "-2" not in lists

    def test_digest_says_how_many_overdue_it_leaves_out(self, manager_client, rep, monkeypatch):
        monkeypatch.setattr("claims.board.digest.DIGEST_CARDS", 2)
        for n in range(1, 5):
            customer(rep, "C", due=timezone.localdate() - days(n))
        text = "".join(pdf_pages(manager_client.get(reverse("board:digest_pdf")).content))
        assert "and2moreoverduecustomers:seetheboard" in text

    def test_digest_first_page_is_the_summary(self, manager_client, team, rep):
        """Page one: the totals, the strip with its total line and the charts as far as they fit; then the lists."""
        reps = [rep, *UserFactory.create_batch(4, team=team)]
        populate(reps, 3, timezone.localdate())
        pages = pdf_pages(manager_client.get(reverse("board:digest_pdf")).content)
        first = pages[0]
        assert first.index("A:keyaccount5") < first.index("Compliance30days50%5/10") < first.index("Visitsthisweek")
        assert all(str(person).replace(" ", "") in first for person in reps)
        assert "Total555050%0%" in first  # held A, B, C, overdue, compliance in 30 and 90 days
        assert "Follow-upcompliancebyweek" in first and "Overduecustomersbygrade" in first
        text = "".join(pages)
        assert text.index("Pool:inandoutperweek") < text.index("Mostoverduecustomers")

    def test_task_sends_and_records_its_run(self, manager, team_data):
        assert weekly_digest_task.delay().get() == 1
        assert weekly_digest_task.delay().get() == 0
        assert JobHeartbeat.objects.get(name="weekly_digest").runs == 2

    @pytest.mark.postgres
    @pytest.mark.django_db(transaction=True)
    def test_two_runs_at_once_send_each_digest_once(self, manager, admin_user, outsider):
        UserFactory.create_batch(2, role="admin")
        results, errors = run_at_once(lambda: send_weekly_digests(datetime.date(2025, 3, 31)))
        assert errors == []
        assert sum(results) == len(mail.outbox) == 5  # two managers, three admins
        assert sorted(message.to[0] for message in mail.outbox) == sorted(
            WeeklyDigest.objects.values_list("user__email", flat=True)
        )

    def test_beat_runs_it_on_monday_morning(self):
        entry = settings.CELERY_BEAT_SCHEDULE["weekly-digest"]
        assert entry["task"] == "claims.board.tasks.weekly_digest_task" == weekly_digest_task.name
        assert entry["schedule"].day_of_week == {1}


def populate(team_reps, per_rep, today):
    """Customers with everything a card shows: visits, reminders, complaints, claims, contacts, pauses."""
    for rep in team_reps:
        for n in range(per_rep):
            held = customer(rep, "ABC"[n % 3], due=today - days(n - 2))
            visit(held, today - days(n % 9), next_step="跟进", next_step_due=today + days(2))
            Reminder.objects.create(customer=held, assignee=rep, kind=ReminderKind.NEXT_STEP, due_on=today + days(n))
            Claim.objects.create(customer=held, holder=rep, renewed_on=today, protected_until=today + days(30 + n))
            ContactFactory(customer=held, buying_role=BuyingRole.DECISION_MAKER if n % 2 else BuyingRole.USER)
            Complaint.objects.create(
                customer=held, complainant_name="张三", description="安装问题", category="installation", assignee=rep,
                created_by=rep, respond_by=timezone.now(),
            )  # fmt: skip
            if n % 4 == 0:
                Snooze.objects.create(customer=held, until=today + days(3), reason="暂时不需要", created_by=rep)
            OwnershipEvent.objects.create(customer=held, kind=EventKind.CLAIMED, to_user=rep, actor=rep)


# Session, user, 4 navigation badges; teams, grade policy, people (twice: strip and rep filter); the reps whose
# figures are stale, the per-rep figures, visits this week, visits by method, pool flow; column counts and one
# query per column.
BOARD_QUERIES = 19
# The first view after a change recounts the stale reps (figures.refresh): in a savepoint, lock them (PostgreSQL:
# the shared key, then each rep's), clear their marks, count, replace their figures (delete and insert).
RECOUNT_QUERIES = 8 if connection.vendor == "postgresql" else 6
# Session, user, 4 badges, teams, people for the rep filter, the page's count and its cards.
COLUMN_QUERIES = 10


@pytest.mark.parametrize("size", [1, 12])
def test_board_query_count_is_fixed(django_assert_num_queries, manager_client, team, rep, size):
    reps = [rep, *UserFactory.create_batch(size // 4 + 1, team=team)]
    populate(reps, size, timezone.localdate())
    assert Customer.objects.count() == size * len(reps)
    with django_assert_num_queries(BOARD_QUERIES + RECOUNT_QUERIES):
        response = manager_client.get(BOARD, {"overdue": "on"})
    assert response.status_code == 200
    with django_assert_num_queries(BOARD_QUERIES):  # nothing changed since: the summary is read as it is
        manager_client.get(BOARD, {"overdue": "on"})


@pytest.mark.parametrize("size", [1, 12])
def test_admin_board_and_column_query_counts_are_fixed(django_assert_num_queries, admin_client, team, rep, size):
    populate([rep, *UserFactory.create_batch(size // 4 + 1, team=team)], size, timezone.localdate())
    # And the heartbeats; unfiltered, without the column counts (the kept figures summed).
    with django_assert_num_queries(BOARD_QUERIES + RECOUNT_QUERIES + 1 - 1):
        admin_client.get(BOARD)
    with django_assert_num_queries(COLUMN_QUERIES):
        admin_client.get(BOARD, {"column": "A"})


@pytest.mark.parametrize("query", [{}, {"grade": ["A", "C"]}, {"overdue": "on"}, {"owner": "rep"}])
def test_column_totals_are_the_customers_counted_whether_read_from_the_figures_or_counted(
    manager_client, manager, team, rep, query
):
    """Unfiltered (or by grade only) the columns' totals are the kept figures summed; narrowed, they are counted.
    Either way they are what the customers shown count, after changes since the figures were kept."""
    today = timezone.localdate()
    populate([rep, UserFactory(team=team)], 6, today)
    manager_client.get(BOARD)  # the figures kept
    moved = Customer.objects.filter(owner=rep).first()
    moved.grade = "C" if moved.grade != "C" else "A"
    moved.next_follow_up_on = today - datetime.timedelta(days=3)
    moved.save()
    params = {**query, "owner": rep.pk} if "owner" in query else query
    response = manager_client.get(BOARD, params)
    customers = board_scope(manager, None).customers()
    if "owner" in query:
        customers = customers.filter(owner=rep)
    if "overdue" in query:
        customers = customers.overdue(today)
    for column in response.context["columns"]:
        in_column = customers.filter(grade=column.grade)
        assert (column.total, column.overdue) == (in_column.count(), in_column.overdue(today).count())
