import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from crm.evidence.models import Attachment
from crm.evidence.services import attachment_delete, attachments_add
from crm.evidence.sweep import evidence_sweep
from crm.evidence.tasks import evidence_sweep_task

from . import samples

LATER = datetime.timedelta(days=1)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_media_root")]


def test_orphaned_and_long_deleted_files_go_kept_ones_stay_and_a_second_run_does_nothing(
    rep, visit, settings, committed
):
    settings.EVIDENCE_KEEP_DELETED_DAYS = 30
    with committed():
        saved = attachments_add(
            record=visit,
            actor=rep,
            files=[samples.upload(name, samples.jpeg(size=(200, 100))) for name in ("kept.jpg", "old.jpg", "new.jpg")],
        ).saved
    kept, deleted_long_ago, deleted_lately = (Attachment.objects.get(pk=attachment.pk) for attachment in saved)
    for attachment in (deleted_long_ago, deleted_lately):
        attachment_delete(attachment=attachment, actor=rep)
    Attachment.objects.filter(pk=deleted_long_ago.pk).update(deleted_at=timezone.now() - datetime.timedelta(days=31))
    orphan = default_storage.save("evidence/2026/01/left-by-a-crash.jpg", ContentFile(b"x"))

    removed = evidence_sweep(now=timezone.now() + LATER)

    assert removed["orphans"] == [orphan]
    assert sorted(removed["deleted"]) == sorted([deleted_long_ago.file.name, deleted_long_ago.thumbnail.name])
    for attachment in (kept, deleted_lately):
        assert default_storage.exists(attachment.file.name) and default_storage.exists(attachment.thumbnail.name)
    assert not default_storage.exists(deleted_long_ago.file.name) and not default_storage.exists(orphan)
    deleted_long_ago.refresh_from_db()
    assert deleted_long_ago.purged_at and deleted_long_ago.deleted_by == rep  # the row stays for the audit
    assert evidence_sweep(now=timezone.now() + LATER) == {"orphans": [], "deleted": []}


def test_a_file_just_written_is_left_for_the_next_night(db):
    young = default_storage.save("evidence/2026/02/upload-in-progress.jpg", ContentFile(b"x"))
    assert evidence_sweep()["orphans"] == []
    assert default_storage.exists(young)
    default_storage.delete(young)


def test_the_nightly_task_reports_what_it_removed(db, caplog):
    with caplog.at_level("INFO", logger="crm.evidence.sweep"):
        assert evidence_sweep_task.delay().get() == {"orphans": [], "deleted": []}
    assert "evidence sweep: 0 orphaned, 0 of deleted attachments" in caplog.text
