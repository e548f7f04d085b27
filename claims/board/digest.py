"""The weekly digest: the board's summary and charts as a PDF, emailed on Monday and downloadable any day.

Each manager gets their teams' digest and each admin the company's, once per
ISO week. As with the daily digest (visits.digest), a row per person and week
is claimed under a row lock before the email goes out and marked sent in the
same transaction: a second run, or a second worker, finds it sent or locked and
skips it; a failed send rolls back and the retry sends it.
"""

import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role, User
from crm.pdf import render_pdf_bytes

from .charts import board_charts
from .models import WeeklyDigest
from .pipeline import pipeline_summary
from .services import Scope, board_columns, board_scope, team_figures, week_monday

DIGEST_CARDS = 10  # most overdue customers per grade in the PDF


def digest_context(scope: Scope, today: datetime.date) -> dict:
    """Page one: the totals, the strip and the charts; then the most overdue customers of each grade; then the
    pipeline (open deals by stage, won and lost in the last seven days, stuck deals)."""
    figures = team_figures(scope, today)
    return {
        "scope": scope,
        "today": today,
        "week": week_monday(today),
        "figures": figures,
        "charts": board_charts(figures),
        # A customer not yet due (or due today) is not overdue: the lists leave them out.
        "columns": board_columns(scope.customers(), today, limit=DIGEST_CARDS, overdue_only=True),
        "board_url": settings.SITE_URL + reverse("board:board"),
        "pipeline": pipeline_summary(scope, today),
    }


def digest_recipients():
    """Current managers who lead a team, and current admins, who have an email address."""
    leads = Q(role=Role.MANAGER, led_teams__isnull=False)
    return User.objects.current().exclude(email="").filter(leads | Q(role=Role.ADMIN)).distinct()


def digest_filename(week: datetime.date) -> str:
    return f"board-{week:%G-W%V}.pdf"


def send_digest(digest: WeeklyDigest, today: datetime.date) -> bool:
    """Send one claimed digest; False if another run got to it first."""
    with transaction.atomic():
        digest = (
            WeeklyDigest.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=digest.pk, sent_at__isnull=True)
            .first()
        )
        if digest is None:
            return False
        user = digest.user
        with translation.override(user.email_language):
            context = digest_context(board_scope(user, None), today)
            pdf = render_pdf_bytes("board/digest_pdf.html", context)
            subject = render_to_string("board/email/weekly_subject.txt", context).strip()
            body = render_to_string("board/email/weekly.txt", {**context, "user": user})
        email = EmailMessage(subject, body, None, [user.email])
        email.attach(digest_filename(digest.week), pdf, "application/pdf")
        email.send()
        digest.sent_at = timezone.now()
        digest.save(update_fields=["sent_at"])
        return True


def send_weekly_digests(today: datetime.date | None = None) -> int:
    """Queue this ISO week's digests (one row per person, whoever runs first) and send the unsent ones."""
    today = today or timezone.localdate()
    week = week_monday(today)
    WeeklyDigest.objects.bulk_create(
        [WeeklyDigest(user=user, week=week) for user in digest_recipients().only("pk")], ignore_conflicts=True
    )
    pending = WeeklyDigest.objects.filter(week=week, sent_at__isnull=True).order_by("pk")
    return sum(send_digest(digest, today) for digest in pending)
