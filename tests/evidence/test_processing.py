"""Photos are re-encoded by the worker after the upload's transaction commits; the request only stores them."""

import datetime
import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError
from PIL import Image, ImageFile

from crm.evidence.models import Attachment
from crm.evidence.processing import attachment_process, attachments_process_pending
from crm.evidence.services import attachments_add
from crm.evidence.sweep import evidence_sweep
from crm.evidence.tasks import attachment_process_task, evidence_pending_task
from tests.factories import CustomerFactory

from . import samples
from .test_views import log_visit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_media_root")]


def test_the_request_decodes_no_photo_and_serves_it_once_the_worker_has_stripped_it(
    rep_client, rep, monkeypatch, committed
):
    customer = CustomerFactory(owner=rep)

    def decoding(self):
        raise AssertionError("a photo was decoded in the request")

    with monkeypatch.context() as patched:
        patched.setattr(ImageFile.ImageFile, "load", decoding)
        response = log_visit(rep_client, customer, [samples.upload("nameplate.jpg", samples.jpeg(size=(4000, 3000)))])
    assert response.status_code == 302
    photo = Attachment.objects.get()
    original = photo.original.name
    assert photo.state == "processing" and default_storage.exists(original)
    with default_storage.open(original) as stored:  # kept as it came until then, GPS and all
        assert b"PhoneMaker" in stored.read()

    with committed():
        attachment_process_task.delay(photo.pk)  # what the commit enqueues (eager in tests)

    photo.refresh_from_db()
    assert photo.state == "ready" and not photo.original and not default_storage.exists(original)
    assert (photo.width, photo.height, photo.mime_type) == (1600, 1200, "image/jpeg")
    body = b"".join(rep_client.get(reverse("evidence:file", args=[photo.pk])).streaming_content)
    assert not Image.open(io.BytesIO(body)).getexif() and b"PhoneMaker" not in body and len(body) == photo.size
    assert rep_client.get(reverse("evidence:thumbnail", args=[photo.pk])).status_code == 200


def test_the_commit_enqueues_the_reencoding_and_a_second_delivery_changes_nothing(rep, visit, committed):
    with committed() as callbacks:
        attachments_add(record=visit, actor=rep, files=[samples.upload("a.jpg", samples.jpeg(orientation=6))])
    assert len(callbacks) >= 1
    photo = Attachment.objects.get()
    assert photo.state == "ready" and (photo.width, photo.height) == (1200, 1600)  # turned upright
    files = {photo.file.name, photo.thumbnail.name}
    assert attachment_process(attachment_id=photo.pk) is None
    photo.refresh_from_db()
    assert {photo.file.name, photo.thumbnail.name} == files


def test_documents_are_ready_at_once_and_not_enqueued(rep, visit, committed):
    with committed() as callbacks:
        attachments_add(record=visit, actor=rep, files=[samples.upload("quote.pdf", samples.PDF)])
    assert callbacks == [] and Attachment.objects.get().state == "ready"


def test_a_photo_whose_task_was_lost_is_picked_up_by_the_pending_job(rep, visit, committed, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(attachment_process_task, "apply_async", broker_down)
    with committed():
        attachments_add(record=visit, actor=rep, files=[samples.upload("a.jpg", samples.jpeg(size=(400, 300)))])
    photo = Attachment.objects.get()
    assert photo.state == "processing"  # the visit and the photo are kept; the photo waits
    assert attachments_process_pending() == 0  # just uploaded: its task may still come
    assert attachments_process_pending(now=timezone.now() + datetime.timedelta(minutes=6)) == 1
    photo.refresh_from_db()
    assert photo.state == "ready" and default_storage.exists(photo.thumbnail.name)
    assert evidence_pending_task.delay().get() == 0


def test_the_nightly_sweep_keeps_a_waiting_photos_original_and_purges_it_with_the_row(rep, visit, settings):
    photo = attachments_add(record=visit, actor=rep, files=[samples.upload("a.jpg", samples.jpeg(size=(200, 100)))])
    photo = photo.saved[0]
    later = timezone.now() + datetime.timedelta(days=1)
    assert evidence_sweep(now=later) == {"orphans": [], "deleted": []}
    assert default_storage.exists(photo.original.name)
    settings.EVIDENCE_KEEP_DELETED_DAYS = 0
    Attachment.objects.filter(pk=photo.pk).update(deleted_at=timezone.now(), deleted_by=rep)
    assert evidence_sweep(now=later)["deleted"] == [photo.original.name]
    assert attachments_process_pending(now=later) == 0  # a purged photo is not processed any more
