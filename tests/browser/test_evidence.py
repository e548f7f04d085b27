import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from crm.evidence.models import Attachment
from tests.browser.axe import scan
from tests.browser.conftest import ARTIFACTS, PHONE, screenshot
from tests.evidence import samples
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.polling import wait_for
from visits.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def photos(folder: Path):
    """Two camera photos as a phone's file chooser hands them over: one held sideways, both with GPS."""
    files = []
    for name, orientation, color in (("铭牌.jpg", 1, (180, 60, 40)), ("主轴.jpg", 6, (40, 90, 160))):
        path = folder / name
        path.write_bytes(samples.jpeg(size=(2400, 1800), orientation=orientation, color=color))
        files.append(str(path))
    return files


def loaded(page, image):
    """Whether the picture gets its pixels within 5 s."""
    return wait_for(lambda: page.evaluate("(img) => img.complete && img.naturalWidth > 0", image.element_handle()), 5)


def test_a_rep_logs_a_visit_with_two_photos_on_a_phone(new_page, login, rep, tmp_path, live_server):
    customer = CustomerFactory(name="青岛杰航机械有限公司", owner=rep, grade="A")
    page = new_page(viewport=PHONE, language="zh-hans")
    login(page, rep, language="zh-hans")
    page.goto(f"/customers/{customer.pk}/log/")
    page.fill("#id_discussion", "主轴异响，拍了铭牌和主轴照片。")
    page.set_input_files("#id_attachments_files", photos(tmp_path))
    assert page.locator("#id_attachments_camera").get_attribute("capture") == "environment"
    assert scan(page, "visit form") == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "evidence-visit-form-phone-zh")
    page.locator("main button.btn-primary[type=submit]").click()
    page.wait_for_url(lambda url: "/log/" not in url)  # the form posts after the phone has noted the visit

    visit = Visit.objects.get()
    assert visit.attachments.count() == 2
    page.goto(f"/customers/{customer.pk}/")
    thumbnails = page.get_by_test_id("attachments").locator("img")
    assert thumbnails.count() == 2
    for index in range(2):  # each thumbnail loaded through the permission-checked view (lazily: scroll to it)
        thumbnails.nth(index).scroll_into_view_if_needed()
        assert loaded(page, thumbnails.nth(index))
    assert scan(page, "customer card") == []
    screenshot(page, "evidence-card-phone-zh")

    page.goto(f"/visits/{visit.pk}/edit/")
    page.get_by_test_id("attachments").scroll_into_view_if_needed()
    screenshot(page, "evidence-visit-page-phone-zh")
    assert scan(page, "visit page") == []

    photo = visit.attachments.order_by("pk").first()
    downloaded = page.context.request.get(f"/attachments/{photo.pk}/")
    assert downloaded.status == 200 and not Image.open(io.BytesIO(downloaded.body())).getexif()

    pdf = page.context.request.get(f"/visits/{visit.pk}/record.pdf")
    assert pdf.status == 200
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "evidence-visit.pdf").write_bytes(pdf.body())
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                str(ARTIFACTS / "evidence-visit.pdf"),
                str(ARTIFACTS / "evidence-visit-pdf"),
            ],
            check=True,
        )

    stranger = UserFactory(role="rep", team=TeamFactory())
    other = new_page(viewport=PHONE)
    login(other, stranger)
    assert other.context.request.get(f"/attachments/{photo.pk}/").status == 404
    assert other.context.request.get(f"/attachments/{photo.pk}/thumbnail/").status == 404
    assert Attachment.objects.filter(deleted_at__isnull=True).count() == 2
    assert timezone.now()


def test_a_check_in_5_km_from_the_site_is_marked_and_counted(browser, live_server, login, rep, manager):
    from decimal import Decimal

    from tests.browser.conftest import DESKTOP
    from visits.models import CustomerSite

    customer = CustomerFactory(name="青岛杰航机械有限公司", owner=rep, grade="B")
    CustomerSite.objects.create(
        customer=customer,
        lat=Decimal("36.066900"),
        lng=Decimal("120.382600"),
        confirmed_at=timezone.now(),
        confirmed_by=manager,
    )
    context = browser.new_context(
        viewport=PHONE,
        base_url=live_server.url,
        locale="zh-CN",
        geolocation={"latitude": 36.0669, "longitude": 120.4382, "accuracy": 15},  # 5 km east
        permissions=["geolocation"],
    )
    page = context.new_page()
    login(page, rep, language="zh-hans")
    page.goto(f"/customers/{customer.pk}/log/")
    page.fill("#id_discussion", "到现场看了设备。")
    page.get_by_test_id("checkin").get_by_role("button").click()
    wait_for(lambda: page.input_value("input[name=checkin_lat]"), timeout=5)
    assert page.input_value("input[name=checkin_lng]") == "120.438200"
    screenshot(page, "evidence-checkin-phone-zh")
    page.locator("main button.btn-primary[type=submit]").click()
    page.wait_for_url(lambda url: "/log/" not in url)  # the form posts after the phone has noted the visit
    visit = Visit.objects.get()
    assert 4900 < visit.checkin_distance < 5100

    page.goto(f"/customers/{customer.pk}/")
    assert page.get_by_test_id(f"checkin-{visit.pk}").is_visible()
    context.close()

    board = browser.new_context(viewport=DESKTOP, base_url=live_server.url).new_page()
    login(board, manager)
    board.goto("/board/")
    assert board.get_by_test_id(f"strip-{rep.pk}").get_by_test_id("unverified").inner_text() == "1"
    assert scan(board, "board") == []
    board.context.close()

    site = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="zh-CN").new_page()
    login(site, manager, language="zh-hans")
    site.goto(f"/customers/{customer.pk}/site/")
    assert site.get_by_test_id("site").is_visible()
    assert scan(site, "customer site") == []
    assert site.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(site, "evidence-site-phone-zh")
    site.context.close()
