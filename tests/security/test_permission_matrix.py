"""The permission matrix: every URL the project routes × every kind of user × GET and POST.

The URLs come from walking the resolver, so a new view cannot slip in without a row in matrix.py
(test_every_url_has_a_row). The world (two teams, their people, team A's customer and everything hanging
off it) is built once for the module inside a transaction that is rolled back at the end; each case runs in
its own savepoint (pytest-django's `db`), so a POST that changes something changes it for that case only.
"""

import datetime
import io
import re
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import ApiToken
from accounts.services import api_token_create
from claims.imports.services import import_job_check, import_job_create
from claims.models import Claim, HoldingLimit, OwnershipPolicy
from claims.services import customer_register, dispute_open
from crm.complaints.models import Complaint, ResponseDeadline
from crm.complaints.services import complaint_record
from crm.deals.models import Competitor, Opportunity, OpportunityLine, Participant, Purchase
from crm.deals.services import opportunity_create, opportunity_part_save
from crm.evidence.processing import attachment_process
from crm.evidence.services import attachments_add
from crm.models import Contact, Customer, GradeRule, JobHeartbeat, Notification
from crm.services import customer_override_grade
from crm.webhooks.models import Delivery, Endpoint, Event
from crm.webhooks.services import endpoint_create
from tests.evidence.samples import jpeg
from tests.factories import TeamFactory, UserFactory, log_in
from visits.calendar import calendar_feed_for
from visits.models import CheckinPolicy, Escalation, Reminder, ReminderKind, Visit
from visits.services import visit_log

from . import hostile
from .matrix import EXPECTED, NOT_ASKED, ROLES

# What only those who may see team A's customer may read. Nobody else's 200 may contain any of it.
PRIVATE = ["0532-86661234", "崂山区机密路88号", "13912345678", "拜访谈到五轴加工中心预算", "主轴异响停机三天"]
# The customer's name, too, for those with no business with it at all (the challenger of its dispute has).
STRANGERS = ["anonymous", "other_team_rep", "other_manager", "departed"]
CUSTOMER_NAME = "青岛矩阵精密机械有限公司"
NAMEPLATE_PHOTO = jpeg(size=(400, 300))

# The answer is the token owner's, whoever sends the token: what it shows is theirs to see.
BEARER = {"visits:calendar_feed"}
# Which of the world's objects a URL's <pk> names; any other <pk> is team A's customer.
PK_OF = {
    "visits:visit_edit": "visit",
    "visits:visit_pdf": "visit",
    "visits:visit_history": "visit",
    "visits:reminder_dismiss": "reminder",
    "complaints:detail": "complaint",
    "evidence:file": "attachment",
    "evidence:thumbnail": "attachment",
    "complaints:edit": "complaint",
    "complaints:move": "complaint",
    "complaints:pdf": "complaint",
    "claims:dispute_detail": "dispute",
    **dict.fromkeys(
        [f"deals:{view}" for view in ("detail", "edit", "move", "win", "lose", "abandon")]
        + [f"deals:{part}_{action}" for part in ("line", "person", "competitor") for action in ("add", "delete")],
        "deal",
    ),
    "claims:depart": "owner",
    "claims:credit_share_card": "shared_customer",
    "accounts:api_token_revoke": "token",
    "api:dispute_detail": "dispute",
    "api:dispute_decide": "dispute",
    "api:complaint_detail": "complaint",
    "api:complaint_step": "complaint",
    **dict.fromkeys([f"api:deal_{view}" for view in ("detail", "move", "win", "lose", "abandon")], "deal"),
    **dict.fromkeys([f"webhooks:{view}" for view in ("detail", "disable", "enable", "rotate")], "endpoint"),
    **dict.fromkeys(
        [f"crm:import_{view}" for view in ("job", "progress", "confirm", "resume", "discard", "errors", "file")],
        "import_job",
    ),
}
# Pages that take the team from the query string: asked for team A, so the other manager is probing.
ASKS_FOR_TEAM_A = {"board:board", "board:digest_pdf", "board:forecast", "board:targets", "accounts:team"}
# URL arguments that are not objects: every value a real link uses.
VARIANTS = {"file_format": ["csv", "xlsx"]}


def url_patterns(resolver=None, prefix="", namespace=""):
    """(key, route) of every pattern, through every include: the name with its namespaces, else the route."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from url_patterns(pattern, route, inner)
        elif pattern.name:
            yield ":".join(part for part in (namespace, pattern.name) if part), route
        else:
            yield route, route


ROUTES = dict(url_patterns())
ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def arguments(route):
    return [converter or group for converter, group in ARGUMENT.findall(route)]


def variants(route):
    """One case per realistic value of a non-object argument (export.csv and export.xlsx), else one."""
    for name in arguments(route):
        if name in VARIANTS:
            return VARIANTS[name]
    return [""]


CASES = [
    pytest.param(key, variant, role, id=f"{key}{'-' + variant if variant else ''}-{role}")
    for key, route in ROUTES.items()
    if key in EXPECTED
    for variant in variants(route)
    for role in ROLES
]


def test_every_url_has_a_row():
    """No view without a row: a new URL needs its expected answers; a removed one leaves no stale row."""
    keys = [key for key, route in url_patterns()]
    assert len(keys) == len(ROUTES), "two patterns share a name: only one of them would be checked"
    missing, stale = sorted(set(ROUTES) - set(EXPECTED)), sorted(set(EXPECTED) - set(ROUTES))
    assert not missing, f"URLs with no row in tests/security/matrix.py: {missing}"
    assert not stale, f"rows in tests/security/matrix.py for URLs that are gone: {stale}"
    for key, row in EXPECTED.items():
        assert list(row) == ROLES, f"{key}: a row answers for every role, in order"


def _session(user):
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def build_world():
    now = timezone.now()
    team_a, team_b = TeamFactory(name="A"), TeamFactory(name="B")
    people = {}
    for team, manager_role in ((team_a, "manager"), (team_b, "other_manager")):
        team.manager = people[manager_role] = UserFactory(role="manager", team=team)
        team.save()
    people["owner"] = UserFactory(role="rep", team=team_a)
    people["same_team_rep"] = UserFactory(role="rep", team=team_a)
    people["other_team_rep"] = UserFactory(role="rep", team=team_b)
    UserFactory(role="rep", team=team_b)  # team B has two reps as well
    people["admin"] = UserFactory(role="admin")
    people["departed"] = UserFactory(role="rep", team=team_a)
    owner, manager = people["owner"], people["manager"]

    customer = customer_register(
        customer=Customer(name=CUSTOMER_NAME, phones=PRIVATE[0], address=PRIVATE[1], need="五轴加工中心"),
        actor=owner,
    ).customer
    assert customer.owner == owner
    contact = Contact.objects.create(customer=customer, name="王工", phones=PRIVATE[2], buying_role="decision_maker")
    visit = visit_log(
        visit=Visit(
            customer=customer, author=owner, started_at=now - datetime.timedelta(hours=2), discussion=PRIVATE[3]
        ),
        actor=owner,
        contacts=[contact],
    )
    attachment = attachments_add(
        record=visit, actor=owner, files=[SimpleUploadedFile("铭牌.jpg", NAMEPLATE_PHOTO, content_type="image/jpeg")]
    ).saved[0]
    # The worker's re-encoding, then it is served (already done where the task ran on commit: a committed world).
    attachment_process(attachment_id=attachment.pk)
    attachment.refresh_from_db()
    # Deleting a contact who complained breaks the complaint's complainant constraint (a 500 today): the URLs
    # name the other contact.
    complainant = Contact.objects.create(customer=customer, name="李主任", buying_role="user")
    complaint = complaint_record(
        complaint=Complaint(customer=customer, complainant=complainant, description=PRIVATE[4], category="quality"),
        actor=owner,
    )
    deal = opportunity_create(
        opportunity=Opportunity(customer=customer, title="两台五轴加工中心", expected_close_on=now.date()), actor=owner
    )
    deal_parts = {
        "line": OpportunityLine(opportunity=deal, product="五轴加工中心", model="DMU65", unit_price=1_800_000),
        "person": Participant(opportunity=deal, contact=contact, role="decision_maker"),
        "competitor": Competitor(opportunity=deal, name="德马吉", strengths="品牌"),
    }
    for part in deal_parts.values():
        opportunity_part_save(part=part, actor=owner)
    Purchase.objects.create(customer=customer, amount=900_000, bought_on=now.date())  # for the admin's pages
    dispute = dispute_open(customer=customer, actor=people["same_team_rep"], statement="展会上我先接触的")
    shared_customer = customer_register(
        customer=Customer(name="青岛分成机床有限公司", phones="0532-85551111", need="车床"), actor=owner
    ).customer
    Claim.objects.filter(customer=shared_customer).update(holder_share=60, shared_with=people["other_team_rep"])
    assert dispute.team == team_a, "decided inside team A, by its manager"
    reminder = Reminder.objects.create(
        customer=customer,
        assignee=owner,
        kind=ReminderKind.CADENCE,
        due_on=timezone.localdate() - datetime.timedelta(9),
    )
    Escalation.objects.create(reminder=reminder, manager=manager)
    assert Notification.objects.filter(user=owner, customer=customer).exists()
    customer_override_grade(customer=customer, grade="A", actor=manager, reason="行业龙头")
    import_job = import_job_create(
        actor=manager,
        file_name="customers.csv",
        content="Company name,Phones\n青岛导入样本机械有限公司,0532-85550000\n".encode(),
        language="en",
    )
    import_job_check(import_job.pk)

    # An endpoint subscribed to the world's events. Here nothing commits, so their deliveries wait; where the world
    # is committed (the browser's), they are refused at once by this machine, never sent out to the network.
    endpoint = endpoint_create(
        endpoint=Endpoint(name="ERP", url="https://127.0.0.1:9/hook", events=Event.values), actor=people["admin"]
    )
    complaint_record(
        complaint=Complaint(customer=customer, complainant=complainant, description="再次异响", category="quality"),
        actor=owner,
    )
    assert Delivery.objects.filter(endpoint=endpoint).exists()

    # Rows for the admin's change pages that the story above leaves empty.
    Group.objects.create(name="matrix")
    HoldingLimit.objects.create(user=owner, holding_limit=250)
    JobHeartbeat.objects.create(name="matrix", last_run_at=now)
    OwnershipPolicy.current()
    CheckinPolicy.objects.create()
    for grade, defaults in GradeRule.DEFAULTS.items():
        GradeRule.objects.get_or_create(grade=grade, defaults=defaults)
    for severity, hours in ResponseDeadline.DEFAULTS.items():
        ResponseDeadline.objects.get_or_create(severity=severity, defaults={"response_hours": hours})

    sessions = {role: _session(user) for role, user in people.items() if role != "departed"}
    # Each person's API keys, made before anyone leaves: the departed rep's stops working with them.
    keys = {role: api_token_create(actor=user, name="matrix")[1] for role, user in people.items()}
    read_only_keys = {
        role: api_token_create(actor=user, name="read", read_only=True)[1] for role, user in people.items()
    }
    token = ApiToken.objects.filter(user=owner).first()
    # The departed rep logged in through the form (as axes and the audit trail see it), then left.
    browser = Client()
    assert log_in(browser, people["departed"].username)
    sessions["departed"] = browser.cookies[settings.SESSION_COOKIE_NAME].value
    people["departed"].mark_departed()
    assert not log_in(Client(), "no-such-user")  # for the admin's pages of failed logins
    assert AccessAttempt.objects.exists() and AccessLog.objects.exists()
    AccessFailureLog.objects.create(username="no-such-user", ip_address="127.0.0.1", path_info="/accounts/login/")

    return SimpleNamespace(
        team_a=team_a,
        customer=customer,
        contact=contact,
        visit=visit,
        attachment=attachment,
        complaint=complaint,
        deal=deal,
        deal_parts=deal_parts,
        dispute=dispute,
        shared_customer=shared_customer,
        reminder=reminder,
        import_job=import_job,
        endpoint=endpoint,
        feed=calendar_feed_for(owner),
        sessions=sessions,
        keys=keys,
        read_only_keys=read_only_keys,
        token=token,
        **people,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once; the outer transaction is rolled back after the module, so no other test sees it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def admin_object(route):
    """The first row of the model an admin route is about: /admin/<app>/<model>/..."""
    app_label, model_name = route.split("/")[1:3]
    row = apps.get_model(app_label, model_name)._default_manager.order_by("pk").first()
    assert row is not None, f"the world has no {app_label}.{model_name} for {route}: add one to build_world()"
    return row


def argument_value(name, key, route, world, variant):
    if name == "pk":
        return getattr(world, PK_OF.get(key, "customer")).pk
    if name in VARIANTS:
        return variant
    if key == "admin:view_on_site":
        customer = world.customer
        return {"content_type_id": ContentType.objects.get_for_model(customer).pk, "object_id": customer.pk}[name]
    values = {
        "contact_pk": lambda: world.contact.pk,
        "customer_pk": lambda: world.customer.pk,
        "part_pk": lambda: world.deal_parts[key.split(":")[1].split("_")[0]].pk,
        "token": lambda: world.feed.token,
        "object_id": lambda: admin_object(route).pk,
        "id": lambda: world.owner.pk,  # admin: set a user's password
        "app_label": lambda: "crm",
        "url": lambda: "no-such-page/",
    }
    assert name in values, f"{key}: teach the matrix which of the world's objects <{name}> is"
    return values[name]()


def filled(route, kwargs):
    """The route with its arguments written in as they are, whether its converters would take them or not."""
    path = ARGUMENT.sub(lambda m: quote(str(kwargs[m.group(1) or m.group(2)]), safe=""), route)
    return "/" + path.replace("^", "").replace("$", "")


def url_for(key, world, variant):
    route = ROUTES[key]
    kwargs = {name: argument_value(name, key, route, world, variant) for name in arguments(route)}
    url = filled(route, kwargs) if key == route else reverse(key, kwargs=kwargs)  # unnamed: fill the route in
    return f"{url}?team={world.team_a.pk}" if key in ASKS_FOR_TEAM_A else url


def answer(response):
    """The status, or for a 302 the name of the view it sends to."""
    if response.status_code == 302:
        return resolve(urlsplit(response["Location"]).path).view_name
    return response.status_code


def body(response):
    """The text a person would read in the response: the page, the CSV, the spreadsheet's cells, the PDF's text."""
    content_type = response["Content-Type"]
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    if content_type == "application/pdf":
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    if content_type.startswith("application/vnd.openxmlformats"):
        workbook = load_workbook(io.BytesIO(response.content), read_only=True)
        return " ".join(str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row)
    return response.content.decode()


@pytest.fixture(scope="module")
def visitor():
    """One client for the module, its cookies cleared for each case: a new client loads the middleware again,
    and WhiteNoise's reads the static files each time."""
    return Client()


def ask(visitor, key, url, expected, **headers):
    """GET, then (unless not asked) an empty POST: an empty JSON object to the API, an empty form elsewhere."""
    posted = {"data": "{}", "content_type": "application/json"} if key.startswith("api:") else {}
    return [visitor.get(url, **headers)] + (
        [] if expected[1] == NOT_ASKED else [visitor.post(url, **posted, **headers)]
    )


@pytest.mark.parametrize(("key", "variant", "role"), CASES)
def test_permission_matrix(world, db, visitor, key, variant, role):
    """GET, then an empty POST, as `role`: each answers as the row says, and no 200 shows what the role may not see."""
    visitor.cookies.clear()
    if role != "anonymous":
        visitor.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    url = url_for(key, world, variant)
    expected = EXPECTED[key][role]
    responses = ask(visitor, key, url, expected)
    answers = tuple(answer(response) for response in responses)
    assert answers + (NOT_ASKED,) * (2 - len(answers)) == expected, f"GET, POST {url} as {role}"
    if role in ("owner", "manager", "admin") or key in BEARER:
        return
    secrets = PRIVATE + ([CUSTOMER_NAME] if role in STRANGERS else [])
    for response in responses:
        text = body(response) if response.status_code == 200 else ""
        assert [secret for secret in secrets if secret in text] == [], f"{url} shows {role} what they may not see"


API_CASES = [case for case in CASES if case.values[0].startswith("api:") and case.values[2] != "anonymous"]


@pytest.mark.parametrize(("key", "variant", "role"), API_CASES)
def test_api_tokens_answer_as_sessions(world, db, visitor, key, variant, role):
    """Each role's personal token gets the answers its session gets (a departed rep's token: 401); its read-only
    token reads the same and has every write refused with 403, whatever the route."""
    visitor.cookies.clear()
    url, expected = url_for(key, world, variant), EXPECTED[key][role]
    responses = ask(visitor, key, url, expected, HTTP_AUTHORIZATION=f"Bearer {world.keys[role]}")
    assert tuple(answer(response) for response in responses) == expected, f"GET, POST {url} with {role}'s token"
    read_only = ask(visitor, key, url, expected, HTTP_AUTHORIZATION=f"Bearer {world.read_only_keys[role]}")
    expected_read_only = expected if role == "departed" else (expected[0], 403)
    assert tuple(answer(response) for response in read_only) == expected_read_only, f"{url}: {role}'s read-only token"
    if role in ("owner", "manager", "admin"):
        return
    secrets = PRIVATE + ([CUSTOMER_NAME] if role in STRANGERS else [])
    for response in responses + read_only:
        text = body(response) if response.status_code == 200 else ""
        assert [secret for secret in secrets if secret in text] == [], f"{url} shows {role}'s token what it may not see"


WITH_ARGUMENTS = [key for key, route in ROUTES.items() if key in EXPECTED and arguments(route)]


@pytest.mark.parametrize("key", WITH_ARGUMENTS)
def test_hostile_path_arguments(world, db, visitor, key):
    """Each argument of every route in turn given a NUL or an over-long value (the others valid): a 404 to GET
    and POST, signed out or in; a well-formed id that names nothing is never a server error."""
    route = ROUTES[key]
    valid = {name: argument_value(name, key, route, world, variants(route)[0]) for name in arguments(route)}
    for role in ("anonymous", "owner", "admin"):
        visitor.cookies.clear()
        if role != "anonymous":
            visitor.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
        for name in valid:
            for value in hostile.HOSTILE_PATH_VALUES + hostile.ODD_PATH_VALUES:
                url = filled(route, valid | {name: value})
                for method in (visitor.get, visitor.post):
                    status = method(url).status_code
                    if value in hostile.HOSTILE_PATH_VALUES:
                        assert status == 404, f"{method.__name__.upper()} {url[:120]} as {role}: {status}"
                    else:
                        assert status < 500, f"{method.__name__.upper()} {url[:120]} as {role}: {status}"
