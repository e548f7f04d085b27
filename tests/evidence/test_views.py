import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from crm.complaints.models import Complaint
from crm.complaints.services import complaint_record
from crm.evidence.models import Attachment
from crm.evidence.services import attachments_add
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from visits.models import Visit

from . import samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def own(rep):
    return CustomerFactory(owner=rep, grade="B")


def visit_of(customer, author, **fields):
    return Visit.objects.create(
        customer=customer, author=author, started_at=timezone.now(), discussion="看了主轴", **fields
    )


def log_visit(client, customer, files, **fields):
    data = {
        "method": "onsite",
        "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "discussion": "主轴异响，拍了铭牌",
        "attachments": files,
        **fields,
    }
    return client.post(reverse("visits:visit_create", args=[customer.pk]), data)


def embedded_images(reader):
    """Distinct pictures in a PDF (WeasyPrint lists a document's images on each page's resources)."""
    return {image.data for page in reader.pages for image in page.images}


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_visit_is_logged_with_two_photos_and_a_refused_file_loses_nothing(rep_client, own):
    response = log_visit(
        rep_client,
        own,
        [
            samples.upload("nameplate.jpg", samples.jpeg()),
            samples.upload("machine.jpg", samples.jpeg(orientation=6)),
            samples.upload("setup.exe.jpg", samples.EXECUTABLE),
        ],
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.discussion == "主轴异响，拍了铭牌"
    assert sorted(visit.attachments.values_list("name", flat=True)) == ["machine.jpg", "nameplate.jpg"]
    messages = texts(response)
    assert "2 files attached." in messages
    assert any(m.startswith("“setup.exe.jpg” was not saved: only photos") for m in messages)


def test_a_visit_without_files_says_nothing_of_them(rep_client, own):
    response = log_visit(rep_client, own, [])
    assert response.status_code == 302 and texts(response) == ["Visit logged."]


def test_the_form_offers_the_camera_and_the_chooser(rep_client, own):
    page = rep_client.get(reverse("visits:visit_create", args=[own.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'capture="environment"' in page and page.count('name="attachments"') == 2


def test_the_author_adds_more_later_and_removes_one(rep_client, rep, own):
    visit = visit_of(own, rep)
    edit = reverse("visits:visit_edit", args=[visit.pk])
    data = {"method": "onsite", "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "discussion": "补照片"}
    response = rep_client.post(edit, {**data, "attachments": [samples.upload("later.pdf", samples.PDF)]})
    assert response.status_code == 302
    attachment = visit.attachments.get()
    page = rep_client.get(edit).content.decode()
    assert "later.pdf" in page and f'name="remove_attachments" value="{attachment.pk}"' in page
    response = rep_client.post(edit, {**data, "remove_attachments": [attachment.pk, "x", 999999]})
    assert response.status_code == 302 and "“later.pdf” removed." in texts(response)
    attachment.refresh_from_db()
    assert attachment.deleted_at and attachment.deleted_by.pk == visit.author_id
    assert f"attachment-{attachment.pk}" not in rep_client.get(edit).content.decode()
    assert rep_client.get(reverse("evidence:file", args=[attachment.pk])).status_code == 404


def test_a_photo_is_shown_inline_without_exif_and_a_document_only_downloads(rep_client, rep, own, committed):
    visit = visit_of(own, rep)
    with committed():
        saved = attachments_add(
            record=visit,
            actor=rep,
            files=[samples.upload("nameplate.jpg", samples.jpeg()), samples.upload("报价单.pdf", samples.PDF)],
        ).saved
    photo, document = (Attachment.objects.get(pk=attachment.pk) for attachment in saved)
    response = rep_client.get(reverse("evidence:file", args=[photo.pk]))
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "image/jpeg" and response["Content-Disposition"].startswith("inline")
    assert not Image.open(io.BytesIO(body)).getexif()
    assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Security-Policy"].startswith("sandbox")
    response = rep_client.get(reverse("evidence:file", args=[document.pk]))
    assert (
        response["Content-Disposition"].startswith("attachment")
        and "filename*=utf-8''" in response["Content-Disposition"]
    )
    assert b"".join(response.streaming_content) == samples.PDF
    assert rep_client.get(reverse("evidence:thumbnail", args=[document.pk])).status_code == 404
    thumbnail = rep_client.get(reverse("evidence:thumbnail", args=[photo.pk]))
    assert max(Image.open(io.BytesIO(b"".join(thumbnail.streaming_content))).size) == 320


def test_another_teams_rep_gets_404_and_the_manager_sees_it(client, rep, manager, own, committed):
    visit = visit_of(own, rep)
    with committed():
        photo = attachments_add(record=visit, actor=rep, files=[samples.upload("a.jpg", samples.jpeg())]).saved[0]
    client.force_login(UserFactory(role="rep", team=TeamFactory()))
    assert client.get(reverse("evidence:file", args=[photo.pk])).status_code == 404
    assert client.get(reverse("evidence:thumbnail", args=[photo.pk])).status_code == 404
    client.force_login(manager)
    assert client.get(reverse("evidence:file", args=[photo.pk])).status_code == 200


def test_the_web_server_may_send_the_checked_file(rep_client, rep, own, settings, committed):
    with committed():
        photo = attachments_add(record=visit_of(own, rep), actor=rep, files=[samples.upload("a.jpg", samples.jpeg())])
    photo = Attachment.objects.get(pk=photo.saved[0].pk)
    settings.EVIDENCE_SERVE = "x-accel-redirect"
    response = rep_client.get(reverse("evidence:file", args=[photo.pk]))
    assert response["X-Accel-Redirect"] == "/protected-media/" + photo.file.name and not response.content
    settings.EVIDENCE_SERVE = "x-sendfile"
    response = rep_client.get(reverse("evidence:file", args=[photo.pk]))
    assert response["X-Sendfile"] == photo.file.path


def test_thumbnails_on_the_customer_card_without_a_query_per_visit(
    rep_client, rep, own, django_assert_num_queries, django_assert_max_num_queries, committed
):
    def add_visit():
        visit = visit_of(own, rep)
        with committed():
            attachments_add(
                record=visit,
                actor=rep,
                files=[samples.upload("a.jpg", samples.jpeg(size=(400, 300))), samples.upload("b.pdf", samples.PDF)],
            )
        return visit

    first = add_visit()
    url = reverse("crm:customer_detail", args=[own.pk])
    rep_client.get(url)  # warm: the content-type cache the attachments' prefetch reads may be cold
    with django_assert_max_num_queries(60) as one:
        page = rep_client.get(url).content.decode()
    photo = first.attachments.get(kind="image")
    assert reverse("evidence:thumbnail", args=[photo.pk]) in page and "b.pdf" in page
    for _ in range(3):
        add_visit()
    with django_assert_num_queries(len(one.captured_queries)):
        rep_client.get(url)


def test_the_visit_pdf_embeds_the_photos(rep_client, rep, own, committed):
    visit = visit_of(own, rep)
    with committed():
        attachments_add(
            record=visit,
            actor=rep,
            files=[samples.upload("a.jpg", samples.jpeg()), samples.upload("b.jpg", samples.jpeg(orientation=6))],
        )
    response = rep_client.get(reverse("visits:visit_pdf", args=[visit.pk]))
    reader = PdfReader(io.BytesIO(response.content))
    assert len(embedded_images(reader)) == 2
    assert "Photos and files" in "".join(page.extract_text() for page in reader.pages)


def test_a_complaint_is_recorded_with_a_photo_shown_on_its_page_and_pdf(rep_client, rep, own, committed):
    with committed():
        response = rep_client.post(
            reverse("complaints:create", args=[own.pk]),
            {
                "complainant_name": "李女士",
                "description": "到货外箱破损",
                "category": "quality",
                "severity": "normal",
                "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "attachments": [samples.upload("box.jpg", samples.jpeg()), samples.upload("empty.jpg", b"")],
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    complaint = Complaint.objects.get()
    photo = complaint.attachments.get()
    assert any(m == "“empty.jpg” was not saved: the file is empty." for m in texts(response))
    page = rep_client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert reverse("evidence:thumbnail", args=[photo.pk]) in page
    pdf = PdfReader(io.BytesIO(rep_client.get(reverse("complaints:pdf", args=[complaint.pk])).content))
    assert len(embedded_images(pdf)) == 1


def test_complaint_photos_are_added_by_those_who_handle_it(client, rep, own):
    complaint = complaint_record(
        complaint=Complaint(customer=own, complainant_name="李", description="x", category="quality"), actor=rep
    )
    photo = attachments_add(record=complaint, actor=rep, files=[samples.upload("a.jpg", samples.jpeg())]).saved[0]
    assert Attachment.objects.visible_to(rep).get() == photo
    assert not Attachment.objects.visible_to(UserFactory(role="rep", team=TeamFactory())).exists()


def test_the_dossier_prints_the_timeline_without_links_and_counts_the_photos(rep_client, rep, own, committed, caplog):
    """A printed page cannot follow a link: the dossier's timeline names how many photos a visit has (its own PDF
    shows them) instead of thumbnails WeasyPrint would have to fetch, and carries no Edit or Print links."""
    visit = visit_of(own, rep)
    with committed():
        attachments_add(record=visit, actor=rep, files=[samples.upload("a.jpg", samples.jpeg())])
    response = rep_client.get(reverse("crm:customer_dossier", args=[own.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "1 photo, in the visit's own record" in " ".join(text.split())
    assert "Print" not in text.replace("Printed", "")
    assert not [record for record in caplog.records if record.name == "weasyprint" and record.levelname == "ERROR"]
