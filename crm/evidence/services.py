"""Adding and removing a record's attachments."""

import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.tasks import enqueue

from . import owners
from .files import display_name, inspect, refuse
from .models import Attachment, Kind, State
from .tasks import attachment_process_task


@dataclass
class Attached:
    saved: list[Attachment] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # one message per refused file, naming it and why


def attachments_add(*, record, actor: User, files) -> Attached:
    """Keep the uploaded `files` with `record`. Each file stands alone: one refused (its type, size, the
    record's limits, a photo's pixel count) is reported and the others are still kept; the record itself is
    never touched. Photos are kept as uploaded and re-encoded by the worker once the caller's transaction
    commits (`attachment_process`); until then nothing of them is served."""
    if not owners.can_attach(actor, record):
        raise PermissionDenied
    result = Attached()
    stored = Attachment.objects.of(record).live().aggregate(count=Count("pk"), size=Sum("size"))
    count, total = stored["count"], stored["size"] or 0
    for upload in files:
        name = display_name(upload.name)
        try:
            if count >= settings.EVIDENCE_MAX_FILES_PER_RECORD:
                too_many = _("a record keeps at most %(count)s files.")
                raise refuse(name, too_many % {"count": settings.EVIDENCE_MAX_FILES_PER_RECORD})
            if total + upload.size > settings.EVIDENCE_MAX_RECORD_MB * 1024 * 1024:
                too_much = _("a record's files may add up to %(limit)s MB.")
                raise refuse(name, too_much % {"limit": settings.EVIDENCE_MAX_RECORD_MB})
            attachment = _store(record, actor, upload, name)
        except ValidationError as error:
            result.refused.extend(error.messages)
            continue
        count, total = count + 1, total + attachment.size
        result.saved.append(attachment)
    return result


def _store(record, actor, upload, name) -> Attachment:
    inspected = inspect(upload, name)
    attachment = Attachment(
        owner_type=ContentType.objects.get_for_model(record),
        owner_id=record.pk,
        kind=inspected.kind,
        name=name,
        mime_type=inspected.mime_type,
        size=upload.size,
        width=inspected.width,
        height=inspected.height,
        uploaded_by=actor,
    )
    stem = uuid.uuid4().hex  # the stored name is never the uploader's
    # Files first, then the row: a row always has its file; a file left without a row (a crash in between) is
    # removed by the nightly sweep.
    if inspected.kind == Kind.IMAGE:
        attachment.state = State.PROCESSING
        attachment.original.save(f"{stem}.{inspected.extension}", upload, save=False)
    else:
        attachment.file.save(f"{stem}.{inspected.extension}", upload, save=False)
    attachment.full_clean()
    attachment.save()
    if attachment.is_processing:
        transaction.on_commit(lambda: _enqueue_processing(attachment.pk))
    return attachment


def _enqueue_processing(attachment_id):
    # Broker out of reach: the photo waits, and the pending job (processing.attachments_process_pending) takes it.
    enqueue(attachment_process_task, attachment_id)


@transaction.atomic
def attachment_delete(*, attachment: Attachment, actor: User) -> Attachment:
    """Hide an attachment; the row (who uploaded and deleted what, when) and for a while the file are kept."""
    attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
    if not owners.can_attach(actor, attachment.owner):
        raise PermissionDenied
    if attachment.deleted_at is None:
        attachment.deleted_at, attachment.deleted_by = timezone.now(), actor
        attachment.save(update_fields=["deleted_at", "deleted_by"])
    return attachment
