import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import ExpressionWrapper, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.formatting import iso_date, iso_date_time
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

    def with_checkin_far(self):
        """Each visit's `checkin_far`: checked in farther from the site than the policy allows (no query of its own)."""
        far = Q(checkin_distance__gt=CheckinPolicy.far_from_site_expression())
        return self.annotate(checkin_far=ExpressionWrapper(far, output_field=models.BooleanField()))

    def unverified_onsite(self):
        """On-site visits with no check-in, or checked in farther from the site than the policy allows:
        a fact for the manager, never a block."""
        return self.filter(CheckinPolicy.unverified_onsite_q())


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
    # The deal the contact was about, if any (offered while the customer has open deals).
    deal = models.ForeignKey(
        "deals.Opportunity",
        verbose_name=_("about deal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
    )
    logged_at = models.DateTimeField(_("logged at"), default=timezone.now, editable=False)
    is_late = models.BooleanField(_("logged late"), default=False, editable=False)
    # Made on the phone when the form opens, so a visit sent twice (a queue retry, a double tap) is kept once.
    client_id = models.UUIDField(_("id given on the phone"), null=True, blank=True, editable=False)
    # "I'm here" (外勤签到): the browser's position when the rep tapped, only then; on-site and showroom visits.
    checkin_lat = models.DecimalField(_("check-in latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_lng = models.DecimalField(_("check-in longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_accuracy = models.PositiveIntegerField(_("check-in accuracy (m)"), null=True, blank=True)
    checkin_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # Metres from the customer's site (as known at check-in); empty while the site is unknown.
    checkin_distance = models.PositiveIntegerField(_("distance from the site (m)"), null=True, blank=True)
    attachments = GenericRelation(
        "evidence.Attachment", content_type_field="owner_type", object_id_field="owner_id", related_query_name="visit"
    )

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(fields=["customer", "-started_at"]),
            # The board's "this week" per rep reads the index alone (PostgreSQL): how many, how many late, and the
            # on-site ones without a check-in or far from the site, without fetching each visit's row.
            models.Index(
                fields=["author", "-logged_at"],
                include=["is_late", "method", "checkin_at", "checkin_distance"],
                name="visit_author_logged",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="visit_ends_after_start",
            ),
            models.UniqueConstraint(fields=["author", "client_id"], name="visit_client_id_once_per_author"),
            models.CheckConstraint(
                condition=Q(checkin_at__isnull=True, checkin_lat__isnull=True, checkin_lng__isnull=True)
                | Q(checkin_at__isnull=False, checkin_lat__isnull=False, checkin_lng__isnull=False),
                name="visit_checkin_is_whole",
            ),
        ]

    def __str__(self):
        return f"{self.customer} · {self.get_method_display()} · {iso_date(self.started_at)}"

    def save(self, *args, **kwargs):
        self.is_late = self.logged_at - self.started_at > LATE_AFTER
        super().save(*args, **kwargs)

    def clean(self):
        """A visit is about a deal of its own customer only (a deal's visits are its history)."""
        if self.deal_id is not None and self.customer_id is not None and self.deal.customer_id != self.customer_id:
            raise ValidationError(
                {"deal": _("This deal belongs to another customer: choose one of this customer's deals.")}
            )

    def editable_by(self, user, now=None):
        """The author may correct a log for a week; after that it is a record (admins excepted)."""
        if user.is_admin:
            return True
        return self.author_id == user.pk and (now or timezone.now()) - self.logged_at <= EDIT_WINDOW

    @property
    def checkin_km(self):
        return None if self.checkin_distance is None else round(self.checkin_distance / 1000, 1)

    def checkin_mark(self, *, is_far):
        """Why this on-site visit is marked for the manager ("no_checkin", "far"), or "" when it is not.
        `is_far`: checked in farther from the site than the policy allows (`VisitQuerySet.with_checkin_far`)."""
        if self.method != Method.ONSITE:
            return ""
        if self.checkin_at is None:
            return "no_checkin"
        return "far" if is_far else ""

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
        return f"{self.visit} · {self.edited_by} · {iso_date_time(self.edited_at)}"

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


class CheckinPolicy(models.Model):
    """How far from a customer's site an on-site check-in may be before the visit is marked; admins edit it."""

    DEFAULT_FAR_M = 1000
    far_from_site_m = models.PositiveIntegerField(
        _("mark on-site visits checked in farther than (m)"), default=DEFAULT_FAR_M, validators=[MinValueValidator(50)]
    )

    class Meta:
        verbose_name = _("check-in policy")
        verbose_name_plural = _("check-in policy")

    def __str__(self):
        return f"{self.far_from_site_m} m"

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls()

    @classmethod
    def far_from_site_expression(cls):
        """The allowed distance inside the query that needs it: no query of its own (the board's count is fixed)."""
        saved = cls.objects.order_by("pk").values("far_from_site_m")[:1]
        return Coalesce(Subquery(saved), Value(cls.DEFAULT_FAR_M))

    @classmethod
    def unverified_onsite_q(cls):
        """On-site visits not checked in, or checked in farther from the site than the policy allows."""
        return Q(method=Method.ONSITE) & (
            Q(checkin_at__isnull=True) | Q(checkin_distance__gt=cls.far_from_site_expression())
        )


class CustomerSite(models.Model):
    """Where a customer's site is: set by a manager, or proposed from the first checked-in on-site visit until a
    manager confirms it. Check-ins are measured against it."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="site")
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    proposed_from = models.ForeignKey(Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer site")
        verbose_name_plural = _("customer sites")
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__gte=-90, lat__lte=90, lng__gte=-180, lng__lte=180), name="site_on_earth"
            )
        ]

    def __str__(self):
        return f"{self.customer} · {self.lat}, {self.lng}"

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None
