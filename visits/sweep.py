"""The morning follow-up sweep: due reminders for every customer, in a few set-based statements.

Each kind of reminder is one INSERT … SELECT … ON CONFLICT DO NOTHING: the
database finds the due customers and the unique (customer, kind, day) key makes
a second or concurrent run insert nothing. A run killed half-way leaves whole
statements done or undone; the next run completes the rest.
"""

import datetime

from django.db import connection, transaction
from django.db.models import DateField, ExpressionWrapper, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from crm.models import Customer, GradeRule, Status

from .models import Reminder, ReminderKind, ReminderState, Snooze, Visit
from .services import CLOSES

INSERTED_COLUMNS = ["customer_id", "assignee_id", "kind", "due_on", "state", "note", "dismissed_reason", "created_at"]
SNOOZE_RESUME_WINDOW = datetime.timedelta(days=7)  # a pause that ended within a week still gets its reminder


def _insert_reminders(queryset, *, kind, due_on):
    """INSERT the rows `queryset` selects as reminders of `kind`; returns how many were new."""
    rows = (
        queryset.order_by()
        .annotate(
            r_kind=Value(kind),
            r_due_on=ExpressionWrapper(due_on, output_field=DateField()),
            r_state=Value(ReminderState.OPEN),
            r_note=Value(""),
            r_reason=Value(""),
            r_created_at=Value(timezone.now()),
        )
        .values_list("pk", "owner_id", "r_kind", "r_due_on", "r_state", "r_note", "r_reason", "r_created_at")
    )
    select_sql, params = rows.query.sql_with_params()
    table = Reminder._meta.db_table
    sql = f"INSERT INTO {table} ({', '.join(INSERTED_COLUMNS)}) {select_sql} ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


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
