"""My day: the open follow-ups of a rep, one row per customer, with the number to call."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from crm.calling import CallTarget, call_target
from crm.models import Contact, Customer

from .models import Reminder

WEEK = datetime.timedelta(days=7)


@dataclass
class DayRow:
    """One customer on the day list: its open reminders merged, due as the earliest of them."""

    customer: Customer
    reminders: list = field(default_factory=list)
    call: CallTarget | None = None

    @property
    def due_on(self) -> datetime.date:
        return self.reminders[0].due_on

    @property
    def kinds(self) -> list[str]:
        """What is owed, each kind once, in due order."""
        return list(dict.fromkeys(reminder.get_kind_display() for reminder in self.reminders))


def day_sections(user, today: datetime.date | None = None) -> dict[str, list[DayRow]]:
    """The user's open reminders due within a week, one row per customer, in "overdue", "today" and "week"
    by the customer's earliest reminder; best grade first, then the most urgent. Two queries, whatever the size."""
    today = today or timezone.localdate()
    reminders = (
        Reminder.objects.open()
        .filter(assignee=user, due_on__lte=today + WEEK)
        .select_related("customer")
        .order_by("due_on", "pk")
    )
    rows: dict[int, DayRow] = {}
    for reminder in reminders:
        rows.setdefault(reminder.customer_id, DayRow(reminder.customer)).reminders.append(reminder)
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(customer_id__in=rows).exclude(phones="").order_by("-is_primary", "pk"):
        contacts.setdefault(contact.customer_id, []).append(contact)
    sections = {"overdue": [], "today": [], "week": []}
    for row in sorted(rows.values(), key=lambda r: (r.customer.grade, r.due_on, r.customer.pk)):
        row.call = call_target(row.customer, contacts.get(row.customer.pk, []))
        key = "overdue" if row.due_on < today else "today" if row.due_on == today else "week"
        sections[key].append(row)
    return sections
