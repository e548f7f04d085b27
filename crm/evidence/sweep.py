"""The nightly clean-up of stored files: those no attachment row names, and those of long-deleted attachments."""

import datetime
import logging
import posixpath

from django.core.files.storage import default_storage
from django.utils import timezone

from .models import Attachment

logger = logging.getLogger(__name__)
ROOT = "evidence"
# A file younger than this may belong to an upload whose row is not committed yet: it is left for the next night.
GRACE = datetime.timedelta(hours=6)


def _stored_files(storage, folder=ROOT):
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield posixpath.join(folder, name)
    for sub in folders:
        yield from _stored_files(storage, posixpath.join(folder, sub))


def evidence_sweep(now=None) -> dict:
    """Remove orphaned files and the files of attachments deleted EVIDENCE_KEEP_DELETED_DAYS ago (their rows
    stay, marked purged). Idempotent: a second run finds nothing left to remove."""
    now = now or timezone.now()
    storage = default_storage
    removed_purged = []
    for attachment in Attachment.objects.purgeable(now):
        for stored in (attachment.file.name, attachment.thumbnail.name, attachment.original.name):
            if stored and storage.exists(stored):
                storage.delete(stored)
                removed_purged.append(stored)
        Attachment.objects.filter(pk=attachment.pk).update(purged_at=now)
    known = set()
    for names in Attachment.objects.filter(purged_at__isnull=True).values_list("file", "thumbnail", "original"):
        known.update(names)
    removed_orphans = []
    for stored in _stored_files(storage):
        if stored in known or now - storage.get_modified_time(stored) < GRACE:
            continue
        storage.delete(stored)
        removed_orphans.append(stored)
    for stored in removed_purged + removed_orphans:
        logger.info("evidence sweep removed %s", stored)
    logger.info("evidence sweep: %s orphaned, %s of deleted attachments", len(removed_orphans), len(removed_purged))
    return {"orphans": removed_orphans, "deleted": removed_purged}
