import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.factories import CustomerFactory
from visits.checkin import distance_m
from visits.models import CheckinPolicy, CustomerSite, Visit
from visits.services import visit_record

pytestmark = pytest.mark.django_db

SITE = (Decimal("36.066900"), Decimal("120.382600"))  # a workshop in Qingdao
FIVE_KM_EAST = (Decimal("36.066900"), Decimal("120.438200"))


def log(client, customer, method="onsite", position=None, **extra):
    data = {
        "method": method,
        "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "discussion": "现场看了设备",
        **extra,
    }
    if position:
        data.update(
            checkin_lat=str(position[0]),
            checkin_lng=str(position[1]),
            checkin_accuracy="12",
            checkin_at=timezone.now().isoformat(),
        )
    response = client.post(reverse("visits:visit_create", args=[customer.pk]), data)
    assert response.status_code == 302
    return Visit.objects.order_by("-pk").first()


def test_distance_is_great_circle_metres():
    assert distance_m(*SITE, *SITE) == 0
    assert 4900 < distance_m(*SITE, *FIVE_KM_EAST) < 5100


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_first_checked_in_onsite_visit_proposes_the_site_and_a_manager_confirms_it(rep_client, rep, manager):
    manager_client = as_user(manager)
    customer = CustomerFactory(owner=rep)
    visit = log(rep_client, customer, position=SITE)
    assert (visit.checkin_lat, visit.checkin_lng, visit.checkin_accuracy) == (*SITE, 12)
    assert visit.checkin_distance == 0
    site = CustomerSite.objects.get(customer=customer)
    assert (site.lat, site.lng, site.proposed_from, site.is_confirmed) == (*SITE, visit, False)

    url = reverse("visits:customer_site", args=[customer.pk])
    assert "Proposed from" in manager_client.get(url).content.decode()
    response = manager_client.post(url, {})
    assert response.status_code == 302, response.context["form"].errors  # nothing typed: the proposal is confirmed
    site.refresh_from_db()
    assert site.is_confirmed and site.confirmed_by == manager and (site.lat, site.lng) == SITE
    assert rep_client.get(url).status_code == 403  # the rep whose visits it judges does not move it


def test_an_onsite_visit_far_from_the_site_or_without_check_in_is_marked_and_counted(rep_client, rep, manager):
    manager_client = as_user(manager)
    customer = CustomerFactory(owner=rep)
    CustomerSite.objects.create(customer=customer, lat=SITE[0], lng=SITE[1], confirmed_at=timezone.now())
    near = log(rep_client, customer, position=SITE)
    far = log(rep_client, customer, position=FIVE_KM_EAST)
    unchecked = log(rep_client, customer)
    phoned = log(rep_client, customer, method="phone", position=FIVE_KM_EAST)  # a phone call is never marked
    assert 4900 < far.checkin_distance < 5100
    assert phoned.checkin_at is None  # only on-site and showroom visits take the position
    assert set(Visit.objects.unverified_onsite()) == {far, unchecked}

    page = rep_client.get(reverse("crm:customer_detail", args=[customer.pk])).content.decode()
    assert "checked in 5.0 km from the site" in page and "no check-in" in page
    assert f'data-testid="checkin-{near.pk}"' in page  # checked in, not marked

    board = manager_client.get(reverse("board:board"))
    row = next(row for row in board.context["figures"].rows if row.person == rep)
    assert row.unverified_this_week == 2
    digest = PdfReader(io.BytesIO(manager_client.get(reverse("board:digest_pdf")).content)).pages[0].extract_text()
    strip = digest.splitlines()
    assert any(line.endswith("Logged late On-site unverified") for line in strip)
    assert f"{rep} 0 0 1 0 — — 4 0 2" in strip  # held A B C, overdue, compliance, visits, late, unverified

    CheckinPolicy.objects.create(far_from_site_m=10_000)  # an admin allows 10 km
    assert set(Visit.objects.unverified_onsite()) == {unchecked}


def test_a_malformed_or_stale_position_is_no_check_in_and_the_visit_is_kept(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    for bad in (
        {"checkin_lat": "91", "checkin_lng": "120", "checkin_at": timezone.now().isoformat()},
        {"checkin_lat": "abc", "checkin_lng": "120", "checkin_at": timezone.now().isoformat()},
        {"checkin_lat": "36", "checkin_lng": "120", "checkin_at": "2001-01-01T00:00:00Z"},
        {"checkin_lat": "36", "checkin_lng": "120"},
    ):
        visit = log(rep_client, customer, **bad)
        assert visit.checkin_at is None
    assert not CustomerSite.objects.exists()


def test_the_form_offers_im_here_only_when_logging(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    page = rep_client.get(reverse("visits:visit_create", args=[customer.pk])).content.decode()
    assert 'data-testid="checkin"' in page and "js/checkin.js" in page
    visit = log(rep_client, customer)
    page = rep_client.get(reverse("visits:visit_edit", args=[visit.pk])).content.decode()
    assert 'data-testid="checkin"' not in page
    assert visit.started_at > timezone.now() - datetime.timedelta(minutes=5)


def test_a_showroom_visit_keeps_its_check_in_and_is_never_marked(rep_client, rep, manager):
    """The showroom is ours: its distance from the customer's site means nothing, with or without a check-in."""
    customer = CustomerFactory(owner=rep)
    far_in_showroom = log(rep_client, customer, method="showroom", position=FIVE_KM_EAST)
    assert not CustomerSite.objects.exists()  # a showroom check-in proposes no site for the customer
    CustomerSite.objects.create(customer=customer, lat=SITE[0], lng=SITE[1], confirmed_at=timezone.now())
    unchecked_in_showroom = log(rep_client, customer, method="showroom")
    assert far_in_showroom.checkin_at and far_in_showroom.checkin_distance is None
    assert not Visit.objects.unverified_onsite().exists()
    page = rep_client.get(reverse("crm:customer_detail", args=[customer.pk])).content.decode()
    assert "no check-in" not in page and "from the site" not in page
    for visit in (far_in_showroom, unchecked_in_showroom):
        assert visit.checkin_mark(is_far=True) == ""
    board = as_user(manager).get(reverse("board:board"))
    assert next(row for row in board.context["figures"].rows if row.person == rep).unverified_this_week == 0


def test_one_service_records_the_visit_its_check_in_and_its_files(rep):
    customer = CustomerFactory(owner=rep)
    recorded = visit_record(
        visit=Visit(customer=customer, method="onsite", started_at=timezone.now(), discussion="现场验收"),
        actor=rep,
        check_in=(*SITE, 8, timezone.now()),
        uploads=[
            SimpleUploadedFile("验收单.pdf", b"%PDF-1.4\n%%EOF\n"),
            SimpleUploadedFile("setup.jpg", b"MZ\x90\x00" + b"\0" * 64),
        ],
    )
    visit = Visit.objects.get()
    assert recorded.visit == visit and visit.discussion == "现场验收" and visit.checkin_accuracy == 8
    assert [a.name for a in recorded.attached.saved] == ["验收单.pdf"]
    assert len(recorded.attached.refused) == 1 and recorded.attached.refused[0].startswith("“setup.jpg” was not saved")
    phoned = visit_record(
        visit=Visit(customer=customer, method="phone", started_at=timezone.now(), discussion="电话"),
        actor=rep,
        check_in=(*SITE, 8, timezone.now()),
    )
    assert phoned.visit.checkin_at is None and phoned.attached.saved == []
