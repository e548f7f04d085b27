"""The worker's part of keeping a photo: re-encoding what the upload stored as it came (crm.evidence.services).

Until this has run, a photo is `processing` and nothing of it is served; its original (EXIF, GPS and all) is
removed once the re-encoded picture is stored.
"""

import datetime
import logging
import posixpath
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .files import PILLOW_FORMATS, reencode
from .models import Attachment, State

logger = logging.getLogger(__name__)
# A photo whose task has not run this long after its upload had its task lost (the broker was out of reach).
PENDING_GRACE = datetime.timedelta(minutes=5)


def attachment_process(*, attachment_id: int) -> Attachment | None:
    """Re-encode a photo kept as uploaded: store the stripped picture and its thumbnail, then forget the original.
    A picture that cannot be decoded is marked failed and its original removed. Idempotent: a photo already
    processed (a task delivered twice) is left alone. Run by the worker, for no user."""
    attachment = Attachment.objects.processing().filter(pk=attachment_id).first()
    if attachment is None:
        return None
    original = attachment.original.name
    extension = posixpath.splitext(original)[1].lstrip(".")
    if extension not in PILLOW_FORMATS:
        raise ValueError(f"attachment {attachment_id}: not a photo's original: {original!r}")
    try:
        with attachment.original.open("rb") as stored:
            picture = reencode(stored, attachment.name, extension)
    except ValidationError as error:
        logger.info("attachment %s not kept: %s", attachment_id, "; ".join(error.messages))
        picture = None
    except FileNotFoundError:
        logger.warning("attachment %s: its original %s is gone", attachment_id, original)
        picture = None
    storage = attachment.original.storage
    stem = uuid.uuid4().hex
    written = []
    if picture is not None:
        attachment.file.save(f"{stem}.{picture.extension}", ContentFile(picture.display), save=False)
        attachment.thumbnail.save(f"{stem}-thumb.{picture.extension}", ContentFile(picture.thumbnail), save=False)
        written = [attachment.file.name, attachment.thumbnail.name]
    with transaction.atomic():
        current = Attachment.objects.processing().select_for_update().filter(pk=attachment_id).first()
        if current is None:  # another run got there first: ours are spare copies
            for name in written:
                storage.delete(name)
            return None
        if picture is None:
            current.state = State.FAILED
            fields = ["state", "original"]
        else:
            current.state = State.READY
            current.file, current.thumbnail = attachment.file.name, attachment.thumbnail.name
            current.mime_type, current.size = picture.mime_type, len(picture.display)
            current.width, current.height = picture.width, picture.height
            fields = ["state", "original", "file", "thumbnail", "mime_type", "size", "width", "height"]
        current.original = ""
        current.save(update_fields=fields)
        transaction.on_commit(lambda: storage.delete(original))
    return current


def attachments_process_pending(now=None) -> int:
    """Photos still waiting PENDING_GRACE after their upload (their task lost: the broker was down, a worker
    died): processed now. Returns how many."""
    uploaded_before = (now or timezone.now()) - PENDING_GRACE
    pending = Attachment.objects.processing().filter(uploaded_at__lt=uploaded_before).values_list("pk", flat=True)
    return sum(attachment_process(attachment_id=pk) is not None for pk in list(pending))
