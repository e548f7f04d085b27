"""Attachments in an S3-compatible bucket, for real: django-storages' S3 backend as the settings build it from
STORAGE_BUCKET/STORAGE_URL, talking HTTP to moto's S3 server in this process (no object store runs here).
Upload, the re-encoding, the permission-checked download, removal and the nightly sweep."""

import datetime
import io
import uuid

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from crm.evidence.models import Attachment
from crm.evidence.sweep import evidence_sweep
from tests.factories import CustomerFactory, TeamFactory, UserFactory

from . import samples
from .test_storage import storage_for
from .test_views import log_visit

pytestmark = pytest.mark.django_db
KEYS = {"aws_access_key_id": "crm-test", "aws_secret_access_key": "not-a-secret", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def s3_settings(s3_endpoint):
    """The default storage exactly as crm/settings.py builds it from the environment."""
    return storage_for(
        STORAGE_BUCKET="crm-evidence",
        STORAGE_URL=s3_endpoint,
        STORAGE_ACCESS_KEY=KEYS["aws_access_key_id"],
        STORAGE_SECRET_KEY=KEYS["aws_secret_access_key"],
        STORAGE_REGION=KEYS["region_name"],
    )["config"]


@pytest.fixture
def bucket(settings, s3_endpoint, s3_settings):
    """A fresh bucket per test, holding the attachments of the default storage."""
    name = f"crm-evidence-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, **KEYS)
    client.create_bucket(Bucket=name)
    default = {**s3_settings, "OPTIONS": {**s3_settings["OPTIONS"], "bucket_name": name}}
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    settings.STORAGES = {**settings.STORAGES, "default": default}

    def keys():
        return {item["Key"] for item in client.list_objects_v2(Bucket=name).get("Contents", [])}

    return keys


def test_a_photo_and_a_document_go_to_the_bucket_and_come_back_only_through_the_checked_view(
    rep_client, rep, client, bucket, committed
):
    customer = CustomerFactory(owner=rep)
    with committed():
        response = log_visit(
            rep_client,
            customer,
            [samples.upload("nameplate.jpg", samples.jpeg(orientation=6)), samples.upload("报价单.pdf", samples.PDF)],
        )
    assert response.status_code == 302
    photo = Attachment.objects.get(kind="image")
    document = Attachment.objects.get(kind="document")
    # The stripped picture and its thumbnail, and the document; the uploaded original is gone from the bucket.
    assert photo.state == "ready" and bucket() == {photo.file.name, photo.thumbnail.name, document.file.name}

    body = b"".join(rep_client.get(reverse("evidence:file", args=[photo.pk])).streaming_content)
    picture = Image.open(io.BytesIO(body))
    assert picture.size == (1200, 1600) and not picture.getexif() and b"PhoneMaker" not in body
    download = rep_client.get(reverse("evidence:file", args=[document.pk]))
    assert download["Content-Disposition"].startswith("attachment") and b"".join(download.streaming_content) == (
        samples.PDF
    )
    client.force_login(UserFactory(role="rep", team=TeamFactory()))
    assert client.get(reverse("evidence:file", args=[photo.pk])).status_code == 404


def test_a_removed_file_stays_in_the_bucket_until_the_sweep_which_also_takes_orphans(rep_client, rep, bucket, settings):
    customer = CustomerFactory(owner=rep)
    log_visit(rep_client, customer, [samples.upload("acceptance.pdf", samples.PDF)])
    document = Attachment.objects.get()
    edit = reverse("visits:visit_edit", args=[document.owner_id])
    data = {"method": "onsite", "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "discussion": "x"}
    assert rep_client.post(edit, {**data, "remove_attachments": [document.pk]}).status_code == 302
    document.refresh_from_db()
    assert document.deleted_at and rep_client.get(reverse("evidence:file", args=[document.pk])).status_code == 404
    orphan = default_storage.save("evidence/2026/01/left-by-a-crash.pdf", ContentFile(b"%PDF-1.4"))
    assert bucket() == {document.file.name, orphan}
    assert evidence_sweep(now=timezone.now() + datetime.timedelta(days=1)) == {"orphans": [orphan], "deleted": []}

    settings.EVIDENCE_KEEP_DELETED_DAYS = 30
    later = timezone.now() + datetime.timedelta(days=31)
    assert evidence_sweep(now=later) == {"orphans": [], "deleted": [document.file.name]}
    assert bucket() == set()
    document.refresh_from_db()
    assert document.purged_at and document.deleted_by == rep
    assert evidence_sweep(now=later) == {"orphans": [], "deleted": []}
