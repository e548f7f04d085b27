from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    manager = models.ForeignKey(
        "accounts.User",
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
        limit_choices_to={"role": Role.MANAGER},
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name


class UserQuerySet(models.QuerySet):
    def current(self):
        """People who have not left: they can log in and hold customers."""
        return self.filter(is_active=True, departed_at__isnull=True)

    def visible_to(self, user):
        """The people whose customers and records `user` may see in full.

        A rep sees their own; a manager their own and those of the teams they
        lead; an admin everyone. Every per-record visibility rule in the other
        apps is built on this one.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        if user.is_manager:
            return self.filter(Q(pk=user.pk) | Q(team__manager=user)).distinct()
        return self.filter(pk=user.pk)


class CrmUserManager(UserManager.from_queryset(UserQuerySet)):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    departed_at = models.DateTimeField(_("departed at"), null=True, blank=True)
    language = models.CharField(
        _("language for emails"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Set by the language switch; empty means the site's default."),
    )

    objects = CrmUserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username

    def get_full_name(self):
        # Chinese names read family name first, with no space: 王建国.
        if any("\u4e00" <= ch <= "\u9fff" for ch in self.last_name + self.first_name):
            return f"{self.last_name}{self.first_name}".strip()
        return super().get_full_name()

    def save(self, *args, **kwargs):
        # The role is the single source of who may use the Django admin.
        self.is_staff = self.is_superuser = self.role == Role.ADMIN
        refusal = self.departure_refusal()
        if refusal:
            raise ValidationError(refusal, code="departure_holds_customers")
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        refusal = self.departure_refusal()
        if refusal:
            raise ValidationError(refusal, code="departure_holds_customers")
        if self.departed_at and self.is_active:
            raise ValidationError(
                {"is_active": _("Someone who has left cannot log in: untick “active” as well.")}, code="departed_active"
            )

    def departure_refusal(self) -> str:
        """Why this person may not be made inactive or departed by a plain save ("" if they may).

        Someone who leaves holding customers must go through the departure page
        (claims.services.rep_depart), which moves every customer to a colleague or the
        pool with history; a save would strand them with someone who cannot log in.
        """
        if not self.pk or (self.is_active and self.departed_at is None):
            return ""
        before = type(self).objects.filter(pk=self.pk).values("is_active", "departed_at").first()
        if before is None or not before["is_active"] or before["departed_at"] is not None:
            return ""  # not leaving now: already inactive or departed
        # `customers`: the crm's customers this person holds (Customer.owner).
        held = self.customers.count()
        if not held:
            return ""
        return ngettext(
            "%(name)s still holds %(count)s customer. Mark them as departed on the departure page, which "
            "moves the customer to a colleague or the pool with history: %(url)s",
            "%(name)s still holds %(count)s customers. Mark them as departed on the departure page, which "
            "moves the customers to a colleague or the pool with history: %(url)s",
            held,
        ) % {"name": self, "count": held, "url": self.departure_url}

    @property
    def departure_url(self):
        return reverse("claims:depart", args=[self.pk])

    @property
    def email_language(self):
        return self.language or settings.LANGUAGE_CODE

    @property
    def is_rep(self):
        return self.role == Role.REP

    @property
    def is_manager(self):
        return self.role == Role.MANAGER

    @property
    def is_admin(self):
        return self.role == Role.ADMIN

    @property
    def has_departed(self):
        return self.departed_at is not None

    def mark_departed(self, when=None):
        """Record that the person left: they can no longer log in.

        Refused while they hold customers: claims.services.rep_depart moves those first.
        """
        self.departed_at = when or timezone.now()
        self.is_active = False
        self.save(update_fields=["departed_at", "is_active"])

    mark_departed.alters_data = True


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKED_OUT = "locked_out", _("Locked out after failed logins")
    EXPORT = "export", _("Exported customer data")
    IMPORT = "import", _("Imported customers")
    OWNERSHIP = "ownership", _("Ownership changed")
    GRADE_OVERRIDE = "grade_override", _("Grade set by hand")
    DISPUTE_DECISION = "dispute_decision", _("Dispute decided")
    API_TOKEN_CREATED = "api_token_created", _("API token created")
    API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
    WEBHOOK = "webhook", _("Webhook endpoint changed")


class AuditEntry(models.Model):
    """Who did what that an auditor may ask about later. Append-only: the database refuses changes."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    # PROTECT: people are marked departed, never deleted, so the trail keeps its names.
    actor = models.ForeignKey(
        User, verbose_name=_("by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The name typed at a failed login, or the actor's username when the entry was written.
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    subject_type = models.CharField(_("record type"), max_length=60, blank=True)
    subject_id = models.CharField(_("record id"), max_length=40, blank=True)
    subject_label = models.CharField(_("record"), max_length=255, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["action", "-at"], name="audit_action_newest_first")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.username}"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Tokens that still open the API: not revoked, not expired (their user's standing is checked on use)."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ApiToken(models.Model):
    """A personal key for scripts and other systems to use the REST API as its user (`crm.api`).

    Only a hash of the key is stored: the key is shown once, when it is made. The prefix, stored as is, finds the
    row; the hash proves the rest. A read-only token may read what its user may, and change nothing.
    """

    PREFIX_LENGTH = 8

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("What uses it, e.g. “ERP sync”."))
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    read_only = models.BooleanField(_("read only"), default=False, help_text=_("It may read, never change anything."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        User, verbose_name=_("revoked by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True) | Q(revoked_at__isnull=False),
                name="api_token_revoker_only_when_revoked",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self):
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
