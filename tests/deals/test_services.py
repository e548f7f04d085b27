import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from claims.models import Claim, EventKind, OwnershipPolicy
from crm.deals.models import (
    CloseReason,
    Competitor,
    OpportunityLine,
    Participant,
    Purchase,
    Requirement,
    StageChange,
    Status,
)
from crm.deals.services import (
    RequirementsMissing,
    customer_purchases_refresh,
    opportunity_abandon,
    opportunity_lose,
    opportunity_move,
    opportunity_part_delete,
    opportunity_part_save,
    opportunity_update,
    opportunity_win,
)
from crm.models import Grade, GradeChange
from crm.models import Status as CustomerStatus
from tests.factories import ContactFactory, CustomerFactory, UserFactory
from visits.models import Reminder, ReminderKind

from .conftest import open_deal

pytestmark = pytest.mark.django_db


def add_line(deal, actor, price="450000", quantity=2):
    return opportunity_part_save(
        part=OpportunityLine(opportunity=deal, product="立式加工中心", model="VMC850", quantity=quantity,
                             unit_price=Decimal(price)),
        actor=actor,
    )  # fmt: skip


def name(deal, actor, contact, role):
    return opportunity_part_save(part=Participant(opportunity=deal, contact=contact, role=role), actor=actor)


class TestOpening:
    def test_starts_in_the_first_stage_at_its_probability_with_history(self, deal, stages, rep):
        assert deal.stage == stages[1] and deal.probability == stages[1].probability == 10
        assert deal.status == Status.OPEN and deal.created_by == rep
        change = deal.stage_changes.get()
        assert (change.from_stage, change.to_stage, change.actor) == (None, stages[1], rep)

    def test_a_typed_probability_stays(self, rep, own, stages):
        assert open_deal(rep, own, probability=35).probability == 35

    def test_only_who_may_change_the_customer_opens_one(self, rep, own, stages, manager):
        other = UserFactory()
        with pytest.raises(PermissionDenied):
            open_deal(other, own)
        assert open_deal(manager, own).customer == own
        with pytest.raises(PermissionDenied):
            open_deal(manager, CustomerFactory(owner=None))  # nobody would own a pool customer's deal

    def test_lines_sum_to_the_amount(self, deal, rep):
        line = add_line(deal, rep, "450000.50", 2)
        add_line(deal, rep, "120000", 1)
        deal.refresh_from_db()
        assert deal.amount == Decimal("1020001.00")
        opportunity_part_delete(part=line, actor=rep)
        deal.refresh_from_db()
        assert deal.amount == Decimal("120000.00")

    def test_people_come_from_the_customers_contacts(self, deal, rep):
        stranger = ContactFactory(customer=CustomerFactory(owner=rep))
        with pytest.raises(ValidationError):
            name(deal, rep, stranger, "coach")
        assert not Participant.objects.exists()

    def test_next_step_becomes_a_reminder_on_the_owners_day(self, deal, rep):
        due = timezone.localdate() + datetime.timedelta(days=3)
        deal.next_step, deal.next_step_due = "送技术方案", due
        opportunity_update(opportunity=deal, actor=rep, changed=["next_step", "next_step_due"])
        reminder = Reminder.objects.get(customer=deal.customer, kind=ReminderKind.NEXT_STEP)
        assert (reminder.assignee, reminder.due_on) == (rep, due)
        assert "送技术方案" in reminder.note
        deal.customer.refresh_from_db()
        assert deal.customer.next_follow_up_on == due


class TestMoving:
    def test_forward_needs_the_entry_requirements_and_lists_what_is_missing(self, deal, stages, rep, gatekeeper):
        with pytest.raises(RequirementsMissing) as refused:
            opportunity_move(opportunity=deal, to_stage=stages[3], actor=rep)
        # Entering proposal passes through approval: every stage entered counts.
        assert refused.value.missing == [Requirement.NEED_CONFIRMED, Requirement.TECHNICAL]
        deal.need_confirmed = True
        opportunity_update(opportunity=deal, actor=rep, changed=["need_confirmed"])
        with pytest.raises(RequirementsMissing) as refused:
            opportunity_move(opportunity=deal, to_stage=stages[3], actor=rep)
        assert refused.value.missing == [Requirement.TECHNICAL]
        assert deal.stage_changes.count() == 1  # nothing moved
        name(deal, rep, gatekeeper, "technical")
        moved = opportunity_move(opportunity=deal, to_stage=stages[3], actor=rep)
        assert moved.stage == stages[3] and moved.probability == 40  # the default follows the stage
        change = moved.stage_changes.last()
        assert (change.from_stage, change.to_stage, change.days_in_previous, change.passed_over) == (
            stages[1], stages[3], 0, []
        )  # fmt: skip

    def test_a_rep_cannot_override_a_manager_can_with_a_reason(self, deal, stages, rep, manager):
        with pytest.raises(RequirementsMissing) as refused:
            opportunity_move(opportunity=deal, to_stage=stages[2], actor=rep, reason="客户口头确认")
        assert refused.value.may_override is False
        with pytest.raises(RequirementsMissing) as refused:
            opportunity_move(opportunity=deal, to_stage=stages[2], actor=manager)
        assert refused.value.may_override is True
        moved = opportunity_move(opportunity=deal, to_stage=stages[2], actor=manager, reason="总经理已口头立项")
        change = moved.stage_changes.last()
        assert change.passed_over == [Requirement.NEED_CONFIRMED] and change.reason == "总经理已口头立项"
        assert change.actor == manager

    def test_back_needs_nothing_and_counts_the_days(self, deal, stages, rep, manager):
        opportunity_move(opportunity=deal, to_stage=stages[4], actor=manager, reason="招标公告已发")
        deal.refresh_from_db()
        type(deal).objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() - datetime.timedelta(days=12))
        moved = opportunity_move(opportunity=deal, to_stage=stages[2], actor=rep)
        assert moved.stage == stages[2] and moved.stage_changes.last().days_in_previous == 12

    def test_a_typed_probability_is_kept_on_moving(self, rep, own, stages):
        deal = open_deal(rep, own, probability=25, need_confirmed=True)
        assert opportunity_move(opportunity=deal, to_stage=stages[2], actor=rep).probability == 25

    def test_another_reps_deal_is_not_theirs_to_move(self, deal, stages):
        with pytest.raises(PermissionDenied):
            opportunity_move(opportunity=deal, to_stage=stages[1], actor=UserFactory(team=deal.customer.owner.team))


class TestWinning:
    def test_a_win_records_a_purchase_and_the_grade_and_status_follow(self, deal, rep):
        customer = deal.customer
        customer.annual_purchases, customer.grade = Decimal(50_000), Grade.C  # the typed estimate
        customer.save()
        add_line(deal, rep, "600000", 2)
        opportunity_win(opportunity=deal, actor=rep, reason=CloseReason.objects.filter(outcome="won").first())
        deal.refresh_from_db()
        assert (deal.status, deal.probability, deal.closed_on) == (Status.WON, 100, timezone.localdate())
        purchase = Purchase.objects.get(opportunity=deal)
        assert purchase.amount == Decimal("1200000.00")
        customer.refresh_from_db()
        assert customer.annual_purchases == Decimal(1_200_000)
        assert (customer.grade, customer.status) == (Grade.A, CustomerStatus.ACTIVE)
        change = GradeChange.objects.filter(customer=customer).first()
        assert (change.from_grade, change.to_grade) == (Grade.C, Grade.A)
        assert deal.stage_changes.last().status == Status.WON

    def test_annual_purchases_are_the_last_twelve_months(self, own):
        today = timezone.localdate()
        Purchase.objects.create(customer=own, amount=Decimal(400_000), bought_on=today - datetime.timedelta(days=400))
        Purchase.objects.create(customer=own, amount=Decimal(350_000), bought_on=today - datetime.timedelta(days=30))
        customer_purchases_refresh(own)
        assert own.annual_purchases == Decimal(350_000)
        fresh = CustomerFactory(annual_purchases=Decimal(90_000))
        customer_purchases_refresh(fresh)
        assert fresh.annual_purchases == Decimal(90_000)  # the estimate, while nothing is bought

    def test_a_win_needs_an_amount(self, deal, rep):
        with pytest.raises(ValidationError):
            opportunity_win(opportunity=deal, actor=rep)
        assert not Purchase.objects.exists()

    def test_the_holder_gets_the_buying_customers_protection(self, rep, stages):
        from claims.services import customer_register
        from crm.models import Customer

        customer = customer_register(
            customer=Customer(name="潍坊精工机械有限公司", phones="0536-22223333", need="加工中心"), actor=rep
        ).customer
        claim = Claim.objects.active().get(customer=customer)
        policy = OwnershipPolicy.current()
        assert claim.protected_until == claim.renewed_on + datetime.timedelta(days=policy.prospect_protection_days)
        deal = open_deal(rep, customer)
        add_line(deal, rep)
        opportunity_win(opportunity=deal, actor=rep)
        claim.refresh_from_db()
        assert claim.protected_until == claim.renewed_on + datetime.timedelta(days=policy.active_protection_days)
        assert customer.ownership_events.filter(kind=EventKind.RENEWED).exists()

    def test_a_closed_deal_does_not_move(self, deal, rep, stages):
        add_line(deal, rep)
        opportunity_win(opportunity=deal, actor=rep)
        with pytest.raises(ValidationError):
            opportunity_move(opportunity=deal, to_stage=stages[1], actor=rep)
        with pytest.raises(ValidationError):
            add_line(deal, rep)


class TestLosing:
    def test_lost_needs_a_reason_of_its_kind_and_keeps_who_won(self, deal, rep):
        with pytest.raises(ValidationError):
            opportunity_lose(opportunity=deal, actor=rep, reason=None)
        won_reason = CloseReason.objects.filter(outcome="won").first()
        with pytest.raises(ValidationError):
            opportunity_lose(opportunity=deal, actor=rep, reason=won_reason)
        price = CloseReason.objects.get(outcome="lost", name_en="Price")
        opportunity_lose(opportunity=deal, actor=rep, reason=price, won_by="德马吉森精机")
        deal.refresh_from_db()
        assert (deal.status, deal.close_reason, deal.won_by, deal.probability) == (
            Status.LOST,
            price,
            "德马吉森精机",
            0,
        )

    def test_abandon_says_why(self, deal, rep):
        with pytest.raises(ValidationError):
            opportunity_abandon(opportunity=deal, actor=rep)
        opportunity_abandon(opportunity=deal, actor=rep, note="客户项目暂停")
        deal.refresh_from_db()
        assert deal.status == Status.ABANDONED and deal.close_note == "客户项目暂停"

    def test_the_database_refuses_a_lost_deal_without_a_reason(self, deal):
        with pytest.raises(IntegrityError), transaction.atomic():
            type(deal).objects.filter(pk=deal.pk).update(status="lost", closed_on=timezone.localdate())


class TestHistoryIsAppendOnly:
    def test_the_model_refuses(self, deal):
        change = deal.stage_changes.get()
        with pytest.raises(ValidationError):
            change.save()
        with pytest.raises(ValidationError):
            change.delete()
        with pytest.raises(ValidationError):
            StageChange.objects.update(reason="rewritten")
        with pytest.raises(ValidationError):
            StageChange.objects.all().delete()

    @pytest.mark.parametrize(
        "statement", ["UPDATE deals_stagechange SET reason = 'x'", "DELETE FROM deals_stagechange"]
    )
    def test_the_database_refuses(self, deal, statement):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
        assert deal.stage_changes.count() == 1

    @pytest.mark.postgres
    def test_postgres_refuses_truncate(self, deal):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE deals_stagechange CASCADE")
        assert deal.stage_changes.count() == 1


def test_competitors_are_parts_of_an_open_deal(deal, rep):
    competitor = opportunity_part_save(
        part=Competitor(opportunity=deal, name="海天精工", offer=Decimal(780_000), strengths="价格低"), actor=rep
    )
    with pytest.raises(PermissionDenied):
        opportunity_part_delete(part=competitor, actor=UserFactory())
    opportunity_part_delete(part=competitor, actor=rep)
    assert not Competitor.objects.exists()
