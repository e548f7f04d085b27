"""The morning follow-up sweep: due reminders for every customer, in a few set-based statements.

Each kind of reminder is one INSERT … SELECT … ON CONFLICT DO NOTHING: the
database finds the due customers and the unique (customer, kind, day) key makes
a second or concurrent run insert nothing. A run killed half-way leaves whole
statements done or undone; the next run completes the rest.
"""

import datetime

from django.db import transaction
from django.db.models import DateField, ExpressionWrapper, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from crm.models import Customer, GradeRule, Status
from crm.sql import insert_from_select

from .models import Escalation, Reminder, ReminderKind, ReminderState, Snooze, Visit
from .services import CLOSES

SNOOZE_RESUME_WINDOW = datetime.timedelta(days=7)  # a pause that ended within a week still gets its reminder


def _insert_reminders(customers, *, kind, due_on):
    rows = customers.annotate(
        r_kind=Value(kind),
        r_due_on=ExpressionWrapper(due_on, output_field=DateField()),
        r_state=Value(ReminderState.OPEN),
        r_blank=Value(""),
        r_created_at=Value(timezone.now()),
    ).values_list("pk", "owner_id", "r_kind", "r_due_on", "r_state", "r_blank", "r_blank", "r_created_at")
    fields = ["customer", "assignee", "kind", "due_on", "state", "note", "dismissed_reason", "created_at"]
    return insert_from_select(Reminder, fields, rows)


def followed_customers(today):
    """Owned, not lost, not paused today: the customers whose reps owe them contact."""
    paused = Snooze.objects.filter(customer=OuterRef("pk"), until__gt=today)
    return (
        Customer.objects.filter(owner__isnull=False)
        .exclude(status=Status.LOST)
        .exclude(Q(pk__in=paused.values("customer")))
    )


def followup_sweep(today=None) -> dict:
    today = today or timezone.localdate()
    policy = GradeRule.policy()
    created = {}
    with transaction.atomic():
        customers = followed_customers(today)
        registered_on = TruncDate("created_at")
        for grade, rule in policy.items():
            cadence = datetime.timedelta(days=rule.cadence_days)
            last_contact = Coalesce("last_contact_on", registered_on)
            due = customers.filter(grade=grade).annotate(
                cadence_due=ExpressionWrapper(last_contact + cadence, output_field=DateField())
            )
            created[f"cadence_{grade}"] = _insert_reminders(
                due.filter(cadence_due__lte=today), kind=ReminderKind.CADENCE, due_on=F("cadence_due")
            )
            if rule.onsite_interval_days:
                interval = datetime.timedelta(days=rule.onsite_interval_days)
                last_onsite = (
                    Visit.objects.filter(customer=OuterRef("pk"), method__in=CLOSES[ReminderKind.ONSITE])
                    .order_by("-started_at")
                    .annotate(day=TruncDate("started_at"))
                    .values("day")[:1]
                )
                onsite = customers.filter(grade=grade).annotate(
                    onsite_due=ExpressionWrapper(
                        Coalesce(Subquery(last_onsite, output_field=DateField()), registered_on) + interval,
                        output_field=DateField(),
                    )
                )
                created[f"onsite_{grade}"] = _insert_reminders(
                    onsite.filter(onsite_due__lte=today), kind=ReminderKind.ONSITE, due_on=F("onsite_due")
                )
        ended = Snooze.objects.filter(until__lte=today, until__gt=today - SNOOZE_RESUME_WINDOW)
        resumed = Customer.objects.filter(owner__isnull=False, pk__in=ended.values("customer")).annotate(
            resume_on=Subquery(ended.filter(customer=OuterRef("pk")).order_by("-until").values("until")[:1])
        )
        created["snooze_ended"] = _insert_reminders(
            resumed.exclude(pk__in=Snooze.objects.filter(until__gt=today).values("customer")),
            kind=ReminderKind.SNOOZE_ENDED,
            due_on=F("resume_on"),
        )
    return created


def escalate_overdue(today=None) -> dict:
    """Tell the rep's manager of follow-ups overdue past the grade's limit (A soonest); once per reminder."""
    today = today or timezone.localdate()
    created = {}
    for grade, rule in GradeRule.policy().items():
        overdue = (
            Reminder.objects.open()
            .filter(customer__grade=grade, due_on__lte=today - datetime.timedelta(days=rule.escalate_after_days))
            .filter(assignee__team__manager__isnull=False)
            .exclude(assignee=F("assignee__team__manager"))
        )
        rows = overdue.annotate(e_created_at=Value(timezone.now())).values_list(
            "pk", "assignee__team__manager", "e_created_at"
        )
        created[grade] = insert_from_select(Escalation, ["reminder", "manager", "created_at"], rows)
    return created
