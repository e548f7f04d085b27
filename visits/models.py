import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models import Contact, Customer

LATE_AFTER = datetime.timedelta(hours=24)  # 模板1: every contact is logged within 24 hours
EDIT_WINDOW = datetime.timedelta(days=7)


class Method(models.TextChoices):
    ONSITE = "onsite", _("On-site visit")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    VIDEO = "video", _("Video meeting")
    EXHIBITION = "exhibition", _("Exhibition")
    SHOWROOM = "showroom", _("Visit to our showroom")


class ObjectionKind(models.TextChoices):
    PRICE = "price", _("Price")
    CAPABILITY = "capability", _("Capability")
    EXCUSE = "excuse", _("False / excuse")
    REAL = "real", _("Real")
    HIDDEN = "hidden", _("Hidden")


class VisitQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Visits of customers the user may see in full."""
        return self.filter(customer__in=Customer.objects.visible_to(user))


class Visit(models.Model):
    """One logged contact with a customer (客户跟进记录表, 模板1)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="visits")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT, related_name="visits"
    )
    contacts = models.ManyToManyField(Contact, verbose_name=_("contacts met"), blank=True, related_name="visits")
    method = models.CharField(_("method"), max_length=20, choices=Method.choices, default=Method.ONSITE)
    started_at = models.DateTimeField(_("start"))
    ended_at = models.DateTimeField(_("end"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=255, blank=True)
    discussion = models.TextField(pgettext_lazy("visit", "what happened"))
    needs = models.TextField(_("customer's needs"), blank=True)
    commitments = models.TextField(_("customer's commitments"), blank=True)
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    next_step_due = models.DateField(_("next step due"), null=True, blank=True)
    next_step_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("next step owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    help_needed = models.TextField(_("help needed from other departments"), blank=True)
    logged_at = models.DateTimeField(_("logged at"), default=timezone.now, editable=False)
    is_late = models.BooleanField(_("logged late"), default=False, editable=False)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [models.Index(fields=["customer", "-started_at"]), models.Index(fields=["author", "-logged_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="visit_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.customer} · {self.get_method_display()} · {timezone.localtime(self.started_at):%Y-%m-%d}"

    def save(self, *args, **kwargs):
        self.is_late = self.logged_at - self.started_at > LATE_AFTER
        super().save(*args, **kwargs)

    def editable_by(self, user, now=None):
        """The author may correct a log for a week; after that it is a record (admins excepted)."""
        if user.is_admin:
            return True
        return self.author_id == user.pk and (now or timezone.now()) - self.logged_at <= EDIT_WINDOW

    def needs_correction_reason(self, user, now=None):
        """Anyone but the author within the window is correcting a record and must say why."""
        return not (self.author_id == user.pk and (now or timezone.now()) - self.logged_at <= EDIT_WINDOW)


class Objection(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="objections")
    kind = models.CharField(_("objection type"), max_length=20, choices=ObjectionKind.choices)
    text = models.CharField(_("objection"), max_length=255)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self):
        return self.text


class ReminderKind(models.TextChoices):
    CADENCE = "cadence", _("Grade cadence")
    ONSITE = "onsite", _("On-site visit due")
    NEXT_STEP = "next_step", _("Next step due")
    THANK_YOU = "thank_you", _("Thank-you within 24 h of a first visit")
    PHONE_FOLLOW_UP = "phone_3day", _("Phone within 3 days of a first visit")
    SNOOZE_ENDED = "snooze_ended", _("Pause ended: resume follow-up")
    CLAIM_LAPSING = "claim_lapsing", _("Protection lapses: follow up to keep the customer")


class ReminderState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    DISMISSED = "dismissed", _("Dismissed")


class ReminderQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=ReminderState.OPEN)

    def overdue(self, today=None):
        """Open reminders whose day has passed."""
        return self.open().filter(due_on__lt=today or timezone.localdate())

    def visible_to(self, user):
        return self.filter(customer__in=Customer.objects.visible_to(user))


class Reminder(models.Model):
    """A follow-up someone owes a customer on a day. One per customer, kind and day: jobs may run twice."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="reminders"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    due_on = models.DateField(_("due"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=ReminderState.choices, default=ReminderState.OPEN)
    dismissed_reason = models.CharField(_("reason for dismissing"), max_length=255, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by_visit = models.ForeignKey(Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind", "due_on"], name="reminder_once_per_customer_kind_day"),
            models.CheckConstraint(
                condition=~Q(state=ReminderState.DISMISSED) | ~Q(dismissed_reason=""),
                name="reminder_dismissal_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["assignee", "state", "due_on"])]

    def __str__(self):
        return f"{self.customer} · {self.get_kind_display()} · {self.due_on}"


class Snooze(models.Model):
    """The customer said "not now" (暂时不需要): follow-ups pause until a day, then resume."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="snoozes")
    until = models.DateField(_("paused until"))
    reason = models.CharField(pgettext_lazy("pause", "reason"), max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-until"]
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")

    def __str__(self):
        return f"{self.customer} → {self.until}"


class VisitRevision(models.Model):
    """What an edit changed in a visit log, kept for good: the log is a record reps are paid on."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="revisions")
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("edited by"), on_delete=models.PROTECT)
    edited_at = models.DateTimeField(_("edited at"), default=timezone.now, editable=False)
    reason = models.CharField(_("reason for the correction"), max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, help_text=_("Field name: [before, after]."))

    class Meta:
        ordering = ["-edited_at", "-pk"]
        verbose_name = _("visit revision")
        verbose_name_plural = _("visit revisions")

    def __str__(self):
        return f"{self.visit} · {self.edited_by} · {timezone.localtime(self.edited_at):%Y-%m-%d %H:%M}"

    def labelled_changes(self):
        """(field label, before, after) in the reader's language."""
        return [
            (Visit._meta.get_field(name).verbose_name, before, after) for name, (before, after) in self.changes.items()
        ]


class Escalation(models.Model):
    """A follow-up overdue long enough for the rep's manager to hear of it; once per reminder."""

    reminder = models.OneToOneField(Reminder, on_delete=models.CASCADE, related_name="escalation")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("manager"), on_delete=models.CASCADE, related_name="escalations"
    )
    created_at = models.DateTimeField(_("escalated at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")

    def __str__(self):
        return f"{self.reminder} → {self.manager}"


class DailyDigest(models.Model):
    """One email per person per day. The row is claimed before sending, so two workers never both send it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_user_and_day")]

    def __str__(self):
        return f"{self.user} · {self.day}"


class CalendarFeed(models.Model):
    """A rep's private calendar address. The token is the only key, so revoking means a new token."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user}"
