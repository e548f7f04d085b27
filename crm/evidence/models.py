import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import owners


class Kind(models.TextChoices):
    IMAGE = "image", _("Photo")
    DOCUMENT = "document", _("Document")


class State(models.TextChoices):
    PROCESSING = "processing", _("Processing")  # a photo kept as uploaded until the worker re-encodes it
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be read")  # a photo the worker could not decode: nothing of it is kept


class AttachmentQuerySet(models.QuerySet):
    def live(self):
        """Not deleted: what pages and PDFs list."""
        return self.filter(deleted_at__isnull=True)

    def ready(self):
        """Stored in the form we serve: documents, and photos once re-encoded without their metadata."""
        return self.filter(state=State.READY)

    def processing(self):
        """Photos still waiting for the worker (and not purged); their uploaded original is never served."""
        return self.filter(state=State.PROCESSING, purged_at__isnull=True)

    def images(self):
        """Photos shown, or about to be once the worker has re-encoded them (not those it could not read)."""
        return self.filter(kind=Kind.IMAGE).exclude(state=State.FAILED)

    def visible_to(self, user):
        """Attachments of the records the user may see (each owner's own `visible_to`)."""
        return self.filter(owners.visible_q(user))

    def of(self, record):
        return self.filter(owner_type=ContentType.objects.get_for_model(record), owner_id=record.pk)

    def purgeable(self, now=None):
        """Deleted long enough ago that their files go; the rows stay for the audit trail."""
        keep = datetime.timedelta(days=settings.EVIDENCE_KEEP_DELETED_DAYS)
        return self.filter(deleted_at__lt=(now or timezone.now()) - keep, purged_at__isnull=True)


def _upload_to(attachment, filename):
    # The name is ours (a random one, see services), never the uploader's: only the folder is added here.
    day = timezone.localdate()
    return f"evidence/{day.year:04d}/{day.month:02d}/{filename}"


class Attachment(models.Model):
    """A photo or file kept with a record. Images are stored re-encoded (no metadata) with a thumbnail;
    documents as uploaded, and only ever downloaded. A photo is kept as uploaded (`original`, never served)
    until the worker has re-encoded it (`state`)."""

    owner_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    owner_id = models.PositiveBigIntegerField()
    owner = GenericForeignKey("owner_type", "owner_id")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.READY)
    # What is served: a document as uploaded, a photo re-encoded. Empty while a photo waits for the worker.
    file = models.FileField(_("file"), upload_to=_upload_to, max_length=200, blank=True)
    thumbnail = models.FileField(_("thumbnail"), upload_to=_upload_to, max_length=200, blank=True)
    # A photo as uploaded (with its EXIF, GPS included), only until the worker has re-encoded it; never served.
    original = models.FileField(_("uploaded original"), upload_to=_upload_to, max_length=200, blank=True)
    name = models.CharField(_("file name"), max_length=120, help_text=_("As uploaded, cleaned for display."))
    mime_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    purged_at = models.DateTimeField(_("file removed at"), null=True, blank=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["owner_type", "owner_id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=False) | Q(deleted_by__isnull=True, purged_at__isnull=True),
                name="attachment_deletion_is_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(state=State.READY) | (~Q(file="") & (Q(kind=Kind.DOCUMENT) | ~Q(thumbnail=""))),
                name="attachment_ready_has_its_files",
            ),
            models.CheckConstraint(
                condition=Q(state=State.PROCESSING, kind=Kind.IMAGE, file="", thumbnail="") & ~Q(original="")
                | ~Q(state=State.PROCESSING) & Q(original=""),
                name="attachment_original_only_while_processing",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_image(self):
        return self.kind == Kind.IMAGE

    @property
    def is_ready(self):
        return self.state == State.READY

    @property
    def is_processing(self):
        return self.state == State.PROCESSING

    @property
    def thumbnail_size(self):
        """(width, height) of the thumbnail, for the page to reserve its place before it loads."""
        side = settings.EVIDENCE_THUMBNAIL_SIDE
        if not (self.width and self.height):
            return side, side
        scale = min(1, side / max(self.width, self.height))
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))
