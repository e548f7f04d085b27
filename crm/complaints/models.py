import datetime
import re

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from crm import reasons
from crm.formatting import iso_date
from crm.models import Contact, Customer
from crm.reasons import SystemReasonFields, show


class Category(models.TextChoices):
    DELIVERY_DELAY = "delivery_delay", _("Delivery delay")
    QUALITY = "quality", _("Quality")
    INSTALLATION = "installation", _("Installation")
    AFTER_SALES = "after_sales", _("After-sales service")
    BILLING = "billing", _("Billing")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")


class State(models.TextChoices):
    OPEN = "open", pgettext_lazy("complaint state", "Open")
    INVESTIGATING = "investigating", _("Investigating")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Where a complaint may go from each state; "open" from resolved or closed is a reopening.
TRANSITIONS = {
    State.OPEN: {State.INVESTIGATING, State.RESOLVED},
    State.INVESTIGATING: {State.RESOLVED},
    State.RESOLVED: {State.CLOSED, State.OPEN},
    State.CLOSED: {State.OPEN},
}


class ResponseDeadline(models.Model):
    """How soon a complaint of each severity must be answered; admins edit the hours."""

    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, primary_key=True)
    response_hours = models.PositiveSmallIntegerField(_("respond within (hours)"))

    DEFAULTS = {Severity.CRITICAL: 4, Severity.HIGH: 24, Severity.NORMAL: 72}

    class Meta:
        db_table = "crm_responsedeadline"  # made by the crm app before complaints were an app of their own
        ordering = ["response_hours"]
        verbose_name = _("complaint response deadline")
        verbose_name_plural = _("complaint response deadlines")

    def __str__(self):
        return f"{self.get_severity_display()}: {self.response_hours} h"

    @classmethod
    def hours(cls):
        saved = dict(cls.objects.values_list("severity", "response_hours"))
        return {severity: saved.get(severity, default) for severity, default in cls.DEFAULTS.items()}


class ComplaintQuerySet(models.QuerySet):
    def visible_to(self, user, *, people_as_ids=False):
        """Complaints of the customers the user may see (people_as_ids: see CustomerQuerySet.visible_to)."""
        return self.filter(customer__in=Customer.objects.visible_to(user, people_as_ids=people_as_ids))

    def unresolved(self):
        return self.filter(state__in=[State.OPEN, State.INVESTIGATING])

    def overdue(self, now=None):
        """Still waiting for a first response after the deadline."""
        return self.filter(state=State.OPEN, respond_by__lt=now or timezone.now())


class Complaint(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="complaints"
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    complainant = models.ForeignKey(
        Contact, verbose_name=_("complainant"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    complainant_name = models.CharField(_("complainant's name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    description = models.TextField(pgettext_lazy("complaint", "what happened"))
    reference = models.CharField(_("order or machine reference"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.NORMAL)
    root_cause = models.TextField(_("root-cause analysis"), blank=True)
    resolution_actions = models.TextField(_("resolution actions"), blank=True)
    customer_response = models.TextField(_("customer's response"), blank=True)
    improvement_measures = models.TextField(_("improvement measures"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("complaint", "assignee"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    state = models.CharField(_("state"), max_length=15, choices=State.choices, default=State.OPEN)
    respond_by = models.DateTimeField(_("respond by"))
    responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    overdue_alerted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Tags the rows one overdue run flagged, so it alerts exactly those.
    alerted_by_run = models.UUIDField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    attachments = GenericRelation(
        "evidence.Attachment",
        content_type_field="owner_type",
        object_id_field="owner_id",
        related_query_name="complaint",
    )

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        db_table = "crm_complaint"  # made by the crm app before complaints were an app of their own
        ordering = ["-received_at", "-pk"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(
                condition=~Q(complainant__isnull=True, complainant_name=""),
                name="complaint_names_the_complainant",
                violation_error_message=_("Choose the contact who complained or write their name."),
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["resolved", "closed"]) | ~Q(resolution_actions=""),
                name="complaint_resolved_has_actions",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | ~Q(customer_response=""), name="complaint_closed_has_response"
            ),
        ]
        indexes = [
            models.Index(fields=["-received_at"], name="complaint_newest_first"),  # the list's order
            models.Index(fields=["state", "respond_by"]),
            models.Index(fields=["customer", "-received_at"]),
            models.Index(fields=["assignee", "state"]),
        ]

    def __str__(self):
        return f"{self.customer} · {self.get_category_display()} · {iso_date(self.received_at)}"

    @property
    def complainant_display(self):
        return str(self.complainant) if self.complainant_id else self.complainant_name

    def deadline_from(self, start=None, hours_by_severity=None) -> datetime.datetime:
        """When an answer is due: the severity's hours from receipt (or from a reopening)."""
        hours = (hours_by_severity or ResponseDeadline.hours())[self.severity]
        return (start or self.received_at) + datetime.timedelta(hours=hours)

    def is_overdue(self, now=None):
        return self.state == State.OPEN and self.respond_by < (now or timezone.now())

    def allowed_states(self):
        return sorted(TRANSITIONS[self.state], key=list(State.values).index)


class ComplaintEvent(SystemReasonFields):
    """One step of a complaint's workflow: who moved it, when, from where to where, and why."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(
        pgettext_lazy("complaint state", "from"), max_length=15, choices=State.choices, blank=True
    )
    to_state = models.CharField(pgettext_lazy("complaint state", "to"), max_length=15, choices=State.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT)
    at = models.DateTimeField(_("when"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        db_table = "crm_complaintevent"  # made by the crm app before complaints were an app of their own
        ordering = ["at", "pk"]
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")

    def __str__(self):
        return f"{self.complaint} · {self.from_state or '—'} → {self.to_state}"

    @property
    def note_display(self):
        return show(self.reason_code, self.reason_params, self.note)


def _edited_fields(params):
    names = [str(Complaint._meta.get_field(name).verbose_name) for name in params.get("fields", [])]
    return _("Edited: %(fields)s") % {"fields": pgettext("list separator", ", ").join(names)}


def _parse_edited_fields(text):
    prefix = str(_("Edited: %(fields)s")).split("%(fields)s")[0]
    if not text.startswith(prefix):
        return None
    by_label = {str(field.verbose_name): field.name for field in Complaint._meta.fields}
    labels = re.split(r",\s*|、|，\s*", text[len(prefix) :])
    if not all(label in by_label for label in labels):
        return None
    return {"fields": [by_label[label] for label in labels]}, ""


# A complaint's edit, stored as the fields it changed and worded in each reader's language (crm.reasons).
COMPLAINT_EDITED = reasons.register("complaint_edited", _edited_fields, parse=_parse_edited_fields)
