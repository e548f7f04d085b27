"""Hostile files sent with a visit: each is refused with a message that names it and says why, or stored safely.

The visit is always saved with what was typed; a refused file leaves no row and no stored file; nothing is a 500.
"""

import os

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from crm.evidence.models import Attachment
from tests.evidence import samples
from tests.factories import CustomerFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db

TYPED = "现场看了设备，客户签了验收单"


def stored_files():
    root = settings.MEDIA_ROOT
    return {os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names}


def log_with(client, customer, upload):
    data = {
        "method": "onsite",
        "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "discussion": TYPED,
        "attachments": [upload],
    }
    return client.post(reverse("visits:visit_create", args=[customer.pk]), data)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("invoice.jpg", samples.EXECUTABLE, "only photos (JPEG, PNG, WebP), PDF and Office documents"),
        ("empty.jpg", b"", "the file is empty"),
        ("bomb.png", samples.bomb(), "too many pixels"),
        ("drawing.svg", samples.SVG_WITH_SCRIPT, "only photos"),
        ("quote.docx", samples.plain_zip(), "not a readable Word, Excel or PowerPoint document"),
    ],
)
def test_a_hostile_file_is_refused_by_name_and_the_visit_kept(rep_client, rep, name, content, reason):
    customer = CustomerFactory(owner=rep)
    before = stored_files()
    response = log_with(rep_client, customer, samples.upload(name, content, "image/jpeg"))
    assert response.status_code == 302
    assert Visit.objects.get().discussion == TYPED
    assert not Attachment.objects.exists() and stored_files() == before
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert len(warnings) == 1 and warnings[0].startswith(f"“{name}” was not saved:") and reason in warnings[0]


def test_a_cut_off_photo_passes_the_upload_and_the_worker_keeps_nothing_of_it(
    rep_client, rep, django_capture_on_commit_callbacks
):
    """Decoding is the worker's: the upload stores the photo as it came, the worker cannot read it, removes the
    original and marks it; the pages say so, and nothing of it is ever served."""
    customer = CustomerFactory(owner=rep)
    before = stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        response = log_with(rep_client, customer, samples.upload("broken.jpg", samples.corrupt_jpeg(), "image/jpeg"))
    assert response.status_code == 302 and Visit.objects.get().discussion == TYPED
    attachment = Attachment.objects.get()
    assert attachment.state == "failed" and not attachment.original and not attachment.file
    assert stored_files() == before
    for view in ("evidence:file", "evidence:thumbnail"):
        assert rep_client.get(reverse(view, args=[attachment.pk])).status_code == 404
    page = rep_client.get(reverse("crm:customer_detail", args=[customer.pk])).content.decode()
    assert "“broken.jpg” could not be read as a picture (damaged or incomplete) and was not kept." in page


def test_a_photo_waiting_for_the_worker_is_never_served_with_its_exif(rep_client, rep):
    """Until the worker has stripped it, the uploaded original (GPS and all) stays on the server's side."""
    customer = CustomerFactory(owner=rep)
    log_with(rep_client, customer, samples.upload("nameplate.jpg", samples.jpeg(), "image/jpeg"))  # never committed
    attachment = Attachment.objects.get()
    assert attachment.state == "processing" and attachment.original and not attachment.file
    for view in ("evidence:file", "evidence:thumbnail"):
        assert rep_client.get(reverse(view, args=[attachment.pk])).status_code == 404
    page = rep_client.get(reverse("crm:customer_detail", args=[customer.pk])).content.decode()
    assert "Photo being prepared…" in page and attachment.original.name not in page


def test_a_file_over_the_limit_is_refused(rep_client, rep, settings):
    settings.EVIDENCE_MAX_FILE_MB = 1
    response = log_with(rep_client, CustomerFactory(owner=rep), samples.upload("scan.pdf", samples.PDF + b"0" * 2**20))
    assert "larger than 1 MB" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert Visit.objects.exists() and not Attachment.objects.exists()


def test_the_records_limits_refuse_the_files_past_them_and_keep_the_rest(rep_client, rep, settings):
    settings.EVIDENCE_MAX_FILES_PER_RECORD = 2
    data = {
        "method": "onsite",
        "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "discussion": TYPED,
        "attachments": [samples.upload(f"{n}.pdf", samples.PDF) for n in range(3)],
    }
    response = rep_client.post(reverse("visits:visit_create", args=[CustomerFactory(owner=rep).pk]), data)
    assert Attachment.objects.count() == 2
    assert "“2.pdf” was not saved: a record keeps at most 2 files." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../../etc/cron.d/evil.pdf", "evil.pdf"),
        ("..\\..\\windows\\system32\\a.pdf", "a.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # RTL override: would read "invoiceexe.pdf"
        ("<script>alert(1)</script>.pdf", "script>.pdf"),
    ],
)
def test_a_hostile_file_name_is_stored_under_a_name_of_ours_and_shown_cleaned(rep_client, rep, raw, shown):
    log_with(rep_client, CustomerFactory(owner=rep), samples.upload(raw, samples.PDF))
    attachment = Attachment.objects.get()
    assert attachment.name == shown
    folder, stored = os.path.split(attachment.file.name)
    assert folder.startswith("evidence/") and len(stored) == len("0" * 32 + ".pdf")
    assert os.path.realpath(attachment.file.path).startswith(os.path.realpath(settings.MEDIA_ROOT))
    page = rep_client.get(reverse("crm:customer_detail", args=[attachment.owner.customer_id])).content
    assert b"<script>alert(1)" not in page and "\u202e".encode() not in page
    response = rep_client.get(reverse("evidence:file", args=[attachment.pk]))
    assert response["Content-Disposition"].startswith("attachment;") and "\u202e" not in response["Content-Disposition"]
