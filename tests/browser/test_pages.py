"""Every main page, for each role, in both languages, at phone and desktop width.

A page that makes a phone scroll sideways is a failure; screenshots are kept for review.
"""

import datetime

import pytest
from django.utils import timezone

from claims.imports.models import ImportJob, ImportRow, ImportState, RowState
from claims.models import Claim, EventKind, OwnershipEvent
from crm.complaints.models import Complaint
from crm.complaints.services import complaint_record
from crm.models import BuyingRole, PoolReason
from tests.browser.conftest import PHONE, screenshot
from tests.factories import ContactFactory, CustomerFactory
from visits.models import Visit, VisitRevision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def customer(rep):
    customer = CustomerFactory(
        name="青岛杰航精密机械股份有限公司",
        owner=rep,
        annual_purchases=1_250_000,
        share_of_wallet=20,
        website="https://www.jiehang-precision-machinery.example.cn/products/cnc",
        man_money=True,
        man_need=True,
    )
    ContactFactory(customer=customer, name="王建国", title="总经理", buying_role=BuyingRole.DECISION_MAKER)
    visit = Visit.objects.create(
        customer=customer, author=rep, started_at=timezone.now(), discussion="介绍了五轴加工中心"
    )
    VisitRevision.objects.create(
        visit=visit,
        edited_by=rep,
        changes={"discussion": ["介绍了加工中心", "介绍了五轴加工中心，客户要求提供同行业案例"]},
    )
    today = timezone.localdate()
    claim = Claim.objects.create(
        customer=customer, holder=rep, renewed_on=today, protected_until=today + datetime.timedelta(days=5)
    )
    OwnershipEvent.objects.create(
        customer=customer, claim=claim, kind=EventKind.REGISTERED, actor=rep, to_user=rep,
        protected_until=claim.protected_until, reason="介绍人陪同前来，客户点名要求由该销售跟进",
    )  # fmt: skip
    CustomerFactory(
        name="青岛杰航精密机械（集团）有限公司胶州分公司", owner=None, pool_reason=PoolReason.LAPSED,
        pool_since=timezone.now() - datetime.timedelta(days=3), industry="machinery",
    )  # fmt: skip
    CustomerFactory(
        name="烟台新池中客户有限公司", owner=None, pool_reason=PoolReason.RELEASED, pool_since=timezone.now()
    )
    complaint_record(
        complaint=Complaint(
            customer=customer, complainant_name="李秀英（客服主管）", phone="13856781234",
            received_at=timezone.now() - datetime.timedelta(days=4), reference="订单20240308",
            description="订单号20240308的货物延迟2天到货，导致客户门店缺货，客户要求赔偿。", category="delivery_delay",
            root_cause="物流供应商突发暴雨，运输延误；未提前预警客户（内部流程漏洞）。",
            improvement_measures="建立物流风险预警机制（恶劣天气提前24小时通知客户）；增加备用物流供应商。",
        ),
        actor=rep,
    )  # fmt: skip
    return customer


def checked_import(customer):
    """The manager's checked import of two rows, one with long errors, for the preview page."""
    job = ImportJob.objects.create(
        created_by=customer.owner.team.manager, file_name="2024年青岛国际机床展-客户名单-第二批（已整理）.xlsx",
        file_format="xlsx", language="zh-hans", state=ImportState.CHECKED, headers=["Company name", "Phones", "Owner"],
        total_rows=2, valid_rows=1, invalid_rows=1, warning_rows=1,
    )  # fmt: skip
    cells = [
        "青岛杰航精密机械（集团）有限公司胶州分公司",
        "0532-88886666 转 8001, 13800138000",
        customer.owner.username,
    ]
    ImportRow.objects.create(
        job=job, number=2, cells=cells, state=RowState.VALID,
        warnings=[["", "A similar name is in the CRM: “青岛杰航精密机械股份有限公司”, held by 王建国."]],
    )  # fmt: skip
    ImportRow.objects.create(
        job=job, number=3, cells=["烟台新池中客户有限公司", "", "nobody"], state=RowState.INVALID,
        errors=[["Phones", "This field is required."], ["Owner", "No one in your teams is called “nobody”."]],
    )  # fmt: skip
    return job


def pages_for(role, customer):
    visit = customer.visits.get()
    complaint = customer.complaints.get()
    pages = {
        "home": "/",
        "day": "/day/",
        "customers": "/customers/",
        "card": f"/customers/{customer.pk}/",
        "calendar": "/calendar/",
        "notifications": "/notifications/",
        "visit-history": f"/visits/{visit.pk}/history/",
        "register": "/register/",
        "duplicates": "/duplicates/?q=青岛杰航精密机械",
        "pool": "/pool/",
        "complaints": "/complaints/",
        "complaints-filtered": "/complaints/?state=open&overdue=true&received_after=2020-01-01",
        "complaint": f"/complaints/{complaint.pk}/",
        "measures": "/complaints/measures/",
        "profile": "/accounts/profile/",
    }
    if role == "rep":
        pages["release"] = f"/customers/{customer.pk}/release/"
        pages["pool-filtered"] = "/pool/?pool_reason=lapsed&pool_since_after=2020-01-01"
        pages["edit"] = f"/customers/{customer.pk}/edit/"
        pages["log"] = f"/customers/{customer.pk}/log/"
        pages["pause"] = f"/customers/{customer.pk}/pause/"
        pages["visit-edit"] = f"/visits/{visit.pk}/edit/"
        pages["complaint-new"] = f"/complaints/new/{customer.pk}/"
        pages["complaint-edit"] = f"/complaints/{complaint.pk}/edit/"
    else:
        pages["team"] = "/accounts/team/"
        pages["escalations"] = "/escalations/"
        pages["transfer"] = f"/customers/{customer.pk}/transfer/"
        pages["import"] = "/customers/import/"
        pages["import-preview"] = f"/customers/import/{checked_import(customer).pk}/"
    return pages


@pytest.mark.parametrize("role", ["rep", "manager", "admin_user"])
def test_pages_fit_the_screen(new_page, live_server, login, role, customer, request):
    """Each role's pages with a customer's visits and complaint, on a phone in Chinese (the screenshots reviewed).
    Every page of the permission matrix is also held to the screen's width at both widths and in both languages
    by the accessibility scans (tests/browser/test_accessibility.py)."""
    user, language, viewport = request.getfixturevalue(role), "zh-hans", PHONE
    page = new_page(viewport=viewport, language=language)
    login(page, user, language)
    for name, path in pages_for(role, customer).items():
        response = page.goto(path)
        assert response.status == 200, path
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], f"{path} overflows"
        screenshot(page, f"{role}-{name}-{language}-{viewport['width']}")
