"""The morning email: one per person per day, listing what they owe customers (and, for managers, escalations).

Each digest is a row claimed under a row lock before its email goes out and
marked sent in the same transaction. A second run, or a second worker, finds it
sent or locked and skips it; a failed send rolls back and the retry sends it.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User

from .models import DailyDigest, Escalation, Reminder


def digest_recipients(today):
    """People with an email address who have follow-ups due by today or escalations still open."""
    owes = Reminder.objects.open().filter(due_on__lte=today).values("assignee")
    escalated = Escalation.objects.filter(reminder__state="open").values("manager")
    return User.objects.current().exclude(email="").filter(Q(pk__in=owes) | Q(pk__in=escalated))


def digest_context(user, today):
    reminders = list(
        Reminder.objects.open()
        .filter(assignee=user, due_on__lte=today)
        .select_related("customer")
        .order_by("due_on", "customer__grade", "pk")
    )
    escalations = list(
        Escalation.objects.filter(manager=user, reminder__state="open")
        .select_related("reminder__customer", "reminder__assignee")
        .order_by("reminder__due_on", "pk")
    )
    for reminder in reminders:
        reminder.log_url = settings.SITE_URL + reverse("visits:visit_create", args=[reminder.customer_id])
    for escalation in escalations:
        escalation.card_url = settings.SITE_URL + reverse("crm:customer_detail", args=[escalation.reminder.customer_id])
    return {
        "user": user,
        "today": today,
        "overdue": [r for r in reminders if r.due_on < today],
        "due_today": [r for r in reminders if r.due_on == today],
        "escalations": escalations,
        "day_url": settings.SITE_URL + reverse("visits:day"),
    }


def send_digest(digest: DailyDigest) -> bool:
    """Send one claimed digest; False if another run got to it first."""
    with transaction.atomic():
        digest = (
            DailyDigest.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=digest.pk, sent_at__isnull=True)
            .first()
        )
        if digest is None:
            return False
        context = digest_context(digest.user, digest.day)
        if context["overdue"] or context["due_today"] or context["escalations"]:
            with translation.override(digest.user.email_language):
                subject = render_to_string("visits/email/digest_subject.txt", context).strip()
                body = render_to_string("visits/email/digest.txt", context)
            send_mail(subject, body, None, [digest.user.email])
        digest.sent_at = timezone.now()
        digest.save(update_fields=["sent_at"])
        return True


def send_daily_digests(today=None) -> int:
    """Queue today's digests (one row per person, whoever runs first) and send the unsent ones."""
    today = today or timezone.localdate()
    DailyDigest.objects.bulk_create(
        [DailyDigest(user=user, day=today) for user in digest_recipients(today).only("pk")], ignore_conflicts=True
    )
    pending = DailyDigest.objects.filter(day=today, sent_at__isnull=True).order_by("pk")
    return sum(send_digest(digest) for digest in pending)
