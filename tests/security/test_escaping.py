"""Hostile text stored in the CRM is shown as text everywhere it comes out: HTML pages and htmx partials escape
it, PDFs print it literally, spreadsheets do not run it as a formula, calendar feeds and emails keep it intact.

A customer, its contact, visit, complaint, dispute and grade history are written (through the app's own
services) with `<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, a spreadsheet formula and a
name that tries to start a new calendar event; then every page and document that shows them is read.
"""

import csv
import datetime
import io
import re

import icalendar
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from claims.services import customer_register, dispute_open
from crm.complaints.models import Complaint
from crm.complaints.services import complaint_record
from crm.models import Customer, GradeChange
from crm.services import customer_override_grade
from tests.factories import ContactFactory, TeamFactory, UserFactory
from tests.security.hostile import ATTRIBUTE_BREAKOUT, FORMULA, ICAL_INJECTION, RAW_MARKUP, SCRIPT
from visits.digest import send_daily_digests
from visits.models import Escalation, Reminder, ReminderKind, Visit
from visits.services import visit_log, visit_update

pytestmark = pytest.mark.django_db

ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_FORMULA = "=HYPERLINK(&quot;http://evil&quot;,&quot;x&quot;)"
CONTROL = "Ctrl\x01\x0b\x1fCo"  # characters XML (and so XLSX) cannot hold, yet a form accepts


def register(actor, name, phones, **fields):
    customer = Customer(name=name, phones=phones, need=SCRIPT, **fields)
    return customer_register(customer=customer, actor=actor, confirmed_new=True).customer


@pytest.fixture
def hostile(db):
    """A team whose customer records are full of hostile text, and logged-in clients for its people."""
    team = TeamFactory(name=f"Team {SCRIPT}")
    manager = UserFactory(role="manager", team=team, first_name="Mara", last_name=ATTRIBUTE_BREAKOUT)
    team.manager = manager
    team.save()
    rep = UserFactory(role="rep", team=team, first_name=SCRIPT, last_name="")
    colleague = UserFactory(role="rep", team=team)

    customer = register(rep, SCRIPT, "0532-88886666", address=ATTRIBUTE_BREAKOUT, notes=SCRIPT, city=FORMULA)
    formula = register(rep, FORMULA, "0532-77775555", notes=FORMULA)
    ical = register(rep, ICAL_INJECTION, "0532-66664444")
    control = register(rep, CONTROL, "0532-55553333")
    pooled = register(UserFactory(role="admin"), f"{SCRIPT}公海", "0535-12345678")
    contact = ContactFactory(customer=customer, name=SCRIPT, title=ATTRIBUTE_BREAKOUT, buying_role="coach")

    now = timezone.now()
    visit = visit_log(
        visit=Visit(
            customer=customer, author=rep, method="onsite", started_at=now - datetime.timedelta(hours=1),
            purpose=ATTRIBUTE_BREAKOUT, discussion=SCRIPT, needs=SCRIPT, commitments=FORMULA, next_step=SCRIPT,
            next_step_due=timezone.localdate(), help_needed=SCRIPT,
        ),
        actor=rep,
        contacts=[contact],
        objections=[("price", SCRIPT)],
    )  # fmt: skip
    visit.discussion = f"{SCRIPT} (corrected)"
    visit_update(visit=visit, actor=rep, contacts=[contact])
    for target in (formula, ical, control):
        visit_log(
            visit=Visit(
                customer=target, author=rep, method="phone", started_at=now - datetime.timedelta(hours=1),
                discussion=target.name, next_step=target.name, next_step_due=timezone.localdate(),
            ),
            actor=rep,
        )  # fmt: skip
    overdue = Reminder.objects.create(
        customer=customer, assignee=rep, kind=ReminderKind.CADENCE, due_on=timezone.localdate() - datetime.timedelta(9)
    )
    Escalation.objects.create(reminder=overdue, manager=manager)
    complaint = complaint_record(
        complaint=Complaint(
            customer=customer, complainant_name=SCRIPT, phone=ATTRIBUTE_BREAKOUT, description=SCRIPT,
            reference=FORMULA, category="quality", root_cause=SCRIPT, improvement_measures=SCRIPT,
            received_at=now - datetime.timedelta(hours=2),
        ),
        actor=rep,
    )  # fmt: skip
    dispute = dispute_open(customer=customer, actor=colleague, statement=SCRIPT)
    customer_override_grade(customer=customer, grade="A", actor=manager, reason=SCRIPT)

    def client_of(user):
        client = Client()
        client.force_login(user)
        return client

    return {
        "rep": client_of(rep),
        "manager": client_of(manager),
        "colleague": client_of(colleague),
        "rep_user": rep,
        "customer": customer,
        "formula": formula,
        "ical": ical,
        "control": control,
        "pooled": pooled,
        "contact": contact,
        "visit": visit,
        "complaint": complaint,
        "dispute": dispute,
    }


def html(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    for markup in RAW_MARKUP:
        assert markup.decode() not in content, f"raw {markup!r} in {response.wsgi_request.path}"
    return content


def pages(w):
    """(who, URL, what must be there, escaped) for every page and htmx partial that shows the hostile text."""
    customer, complaint = w["customer"], w["complaint"]
    card = [customer.pk]
    htmx = {"HX-Request": "true"}
    return [
        ("rep", reverse("crm:customer_list"), [ESCAPED_SCRIPT, ESCAPED_FORMULA], {}),
        ("rep", reverse("crm:customer_list") + "?q=%3Cscript%3Ealert(1)%3C/script%3E", [ESCAPED_SCRIPT], {}),
        ("manager", reverse("crm:customer_list") + "?q=HYPERLINK", [ESCAPED_FORMULA], {}),
        ("rep", reverse("crm:customer_detail", args=card), [ESCAPED_SCRIPT, ESCAPED_FORMULA], {}),
        ("rep", reverse("crm:customer_detail", args=[w["formula"].pk]), [ESCAPED_FORMULA], {}),
        ("rep", reverse("crm:customer_update", args=card), [ESCAPED_SCRIPT], {}),
        ("rep", reverse("crm:contact_update", args=[customer.pk, w["contact"].pk]), [ESCAPED_SCRIPT], htmx),
        ("rep", reverse("crm:customer_suggest") + "?q=script", [ESCAPED_SCRIPT], htmx),
        ("rep", reverse("crm:customer_suggest") + "?referred_by=HYPERLINK", [ESCAPED_FORMULA], htmx),
        ("rep", reverse("search") + "?q=script", [ESCAPED_SCRIPT], htmx),
        ("rep", reverse("search") + "?q=script", [ESCAPED_SCRIPT], {}),
        ("manager", reverse("search") + "?q=HYPERLINK", [ESCAPED_FORMULA], htmx),
        ("rep", reverse("claims:duplicate_check") + "?q=%3Cscript%3Ealert(1)%3C/script%3E", [ESCAPED_SCRIPT], htmx),
        ("rep", reverse("claims:register") + "?q=%3Cscript%3Ealert(1)%3C/script%3E", [ESCAPED_SCRIPT], {}),
        ("rep", reverse("claims:pool"), [ESCAPED_SCRIPT], {}),
        ("rep", reverse("claims:release", args=card), [ESCAPED_SCRIPT], {}),
        ("rep", reverse("visits:snooze", args=card), [ESCAPED_SCRIPT], {}),
        ("rep", reverse("visits:day"), [ESCAPED_SCRIPT, ESCAPED_FORMULA], {}),
        ("rep", reverse("visits:visit_create", args=card), [ESCAPED_SCRIPT], {}),
        ("rep", reverse("visits:visit_edit", args=[w["visit"].pk]), [ESCAPED_SCRIPT], {}),
        ("rep", reverse("visits:visit_history", args=[w["visit"].pk]), [ESCAPED_SCRIPT], {}),
        ("rep", reverse("notifications"), [ESCAPED_SCRIPT], {}),
        ("rep", reverse("complaints:list"), [ESCAPED_SCRIPT], {}),
        ("rep", reverse("complaints:list") + "?q=%3Cscript%3E", [ESCAPED_SCRIPT], {}),
        ("rep", reverse("complaints:detail", args=[complaint.pk]), [ESCAPED_SCRIPT, ESCAPED_FORMULA], {}),
        ("rep", reverse("complaints:edit", args=[complaint.pk]), [ESCAPED_SCRIPT], {}),
        ("rep", reverse("complaints:create", args=card), [ESCAPED_SCRIPT], {}),
        ("rep", reverse("complaints:measures"), [ESCAPED_SCRIPT], {}),
        ("manager", reverse("claims:dispute_list"), [ESCAPED_SCRIPT], {}),
        ("manager", reverse("claims:dispute_detail", args=[w["dispute"].pk]), [ESCAPED_SCRIPT], {}),
        ("manager", reverse("claims:dispute_open", args=card), [ESCAPED_SCRIPT], {}),
        ("manager", reverse("claims:transfer", args=card), [ESCAPED_SCRIPT], {}),
        ("manager", reverse("board:board"), [ESCAPED_SCRIPT, ESCAPED_FORMULA], {}),
        ("manager", reverse("board:board") + "?column=A", [ESCAPED_SCRIPT], {}),
        ("manager", reverse("board:set_grade", args=card), [ESCAPED_SCRIPT], {}),
        ("manager", reverse("board:reassign", args=card), [ESCAPED_SCRIPT], {}),
        ("manager", reverse("board:set_grade", args=card), [], htmx),  # the fields alone, for the card
        ("manager", reverse("board:reassign", args=card), [], htmx),
        ("manager", reverse("visits:escalation_list"), [ESCAPED_SCRIPT], {}),
        ("manager", reverse("accounts:team"), [ESCAPED_SCRIPT, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"], {}),
        ("manager", reverse("crm:customer_detail", args=card), [ESCAPED_SCRIPT], {}),
    ]


def test_every_page_escapes_the_hostile_text(hostile):
    shown = 0
    for who, url, expected, headers in pages(hostile):
        content = html(hostile[who].get(url, headers=headers))
        for text in expected:
            assert text in content, f"{url} does not show {text!r}"
        shown += 1
    assert shown >= 38


def test_messages_that_quote_a_name_escape_it(hostile):
    """A rep registering the same company meets a dispute page; a claim refused names the holder's customer."""
    colleague = hostile["colleague"]
    collision = colleague.post(reverse("claims:register"), {"name": SCRIPT, "phones": "0532-88886666", "need": "x"})
    assert ESCAPED_SCRIPT in html(collision)
    refused = colleague.post(reverse("claims:claim", args=[hostile["customer"].pk]), follow=True)
    assert ESCAPED_SCRIPT in html(refused)
    registered = hostile["rep"].post(
        reverse("claims:register"),
        {"name": f"{SCRIPT}新", "phones": "0755-11112222", "need": SCRIPT, "confirmed_new": "1"},
        follow=True,
    )
    assert f"{ESCAPED_SCRIPT}新" in html(registered)


def test_a_script_link_is_refused_as_website(hostile):
    response = hostile["rep"].post(
        reverse("crm:customer_update", args=[hostile["customer"].pk]),
        {"name": "Acme", "website": "javascript:alert(1)//", "relationship_level": "ordinary", "status": "prospect"},
    )
    assert response.status_code == 200 and "website" in response.context["form"].errors
    assert Customer.objects.get(pk=hostile["customer"].pk).website == ""


# --- documents ---------------------------------------------------------------------------------------


def pdf_text(response):
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    return "".join("".join(page.extract_text().split()) for page in pages)  # table cells wrap lines


@pytest.mark.parametrize(
    "who, document",
    [
        ("rep", lambda w: reverse("crm:customer_dossier", args=[w["customer"].pk])),
        ("rep", lambda w: reverse("visits:visit_pdf", args=[w["visit"].pk])),
        ("rep", lambda w: reverse("complaints:pdf", args=[w["complaint"].pk])),
        ("manager", lambda w: reverse("board:digest_pdf")),
    ],
    ids=["dossier", "visit record", "complaint record", "weekly digest"],
)
def test_pdfs_print_the_text_literally(hostile, who, document):
    text = pdf_text(hostile[who].get(document(hostile)))
    assert SCRIPT in text  # drawn as characters: a tag the renderer took for markup would vanish from the page


def test_pdf_of_a_formula_customer_prints_the_formula(hostile):
    text = pdf_text(hostile["rep"].get(reverse("crm:customer_dossier", args=[hostile["formula"].pk])))
    assert FORMULA in text


def test_pdf_of_a_name_with_control_characters(hostile):
    response = hostile["rep"].get(reverse("crm:customer_dossier", args=[hostile["control"].pk]))
    assert response.status_code == 200 and len(PdfReader(io.BytesIO(response.content)).pages) >= 1


# --- spreadsheets ------------------------------------------------------------------------------------


def export(hostile, file_format):
    response = hostile["manager"].get(reverse("crm:customer_export", args=[file_format]))
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def exported_rows(hostile):
    text = export(hostile, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], {row[0]: row for row in rows[1:]}


def test_csv_neutralises_formulas_and_keeps_script_as_text(hostile):
    header, rows = exported_rows(hostile)
    name, city, notes = header.index("Company name"), header.index("City"), header.index("Notes")
    formula_row, script_row = rows[str(hostile["formula"].pk)], rows[str(hostile["customer"].pk)]
    assert formula_row[name] == "'" + FORMULA and formula_row[notes] == "'" + FORMULA
    assert script_row[city] == "'" + FORMULA
    assert script_row[name] == SCRIPT and script_row[notes] == SCRIPT
    for row in rows.values():
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert rows[str(hostile["ical"].pk)][name] == ICAL_INJECTION  # one cell, newlines and all


def test_xlsx_holds_no_formula_and_keeps_script_as_text(hostile):
    sheet = load_workbook(io.BytesIO(export(hostile, "xlsx")), read_only=True).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    name = header.index("Company name")
    by_id = {str(row[0].value): row for row in rows[1:]}
    assert by_id[str(hostile["formula"].pk)][name].value == "'" + FORMULA
    assert by_id[str(hostile["customer"].pk)][name].value == SCRIPT
    assert by_id[str(hostile["control"].pk)][name].value.startswith("Ctrl")
    formulas = [cell.value for row in rows for cell in row if cell.data_type == "f"]
    assert formulas == []


# --- calendar feed and emails --------------------------------------------------------------------------


def test_calendar_feed_keeps_a_name_with_newlines_inside_one_event(hostile):
    hostile["rep"].get(reverse("visits:calendar"))  # makes the feed
    feed = hostile["rep_user"].calendar_feed
    response = Client().get(reverse("visits:calendar_feed", args=[feed.token]))
    assert response.status_code == 200
    body = response.content.decode()
    calendar = icalendar.Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    reminders = Reminder.objects.open().filter(assignee=hostile["rep_user"])
    starts = re.findall(r"^BEGIN:VEVENT\r?$", body, re.MULTILINE)  # the name's own BEGIN:VEVENT stays inside a line
    assert len(events) == reminders.count() == len(starts)
    summaries = [str(event["SUMMARY"]) for event in events]
    assert not any(summary == "injected" for summary in summaries)
    assert any(ICAL_INJECTION.replace("\r\n", "\n") in summary for summary in summaries)  # iCal text lines end in \n
    assert any(SCRIPT in summary for summary in summaries)
    assert not re.search(r"^SUMMARY:injected", body, re.MULTILINE)


def test_digest_email_is_plain_text_with_the_names_as_typed(hostile):
    mail.outbox.clear()
    send_daily_digests()
    (email,) = [message for message in mail.outbox if hostile["rep_user"].email in message.to]
    assert SCRIPT in email.body and ESCAPED_SCRIPT not in email.body
    assert FORMULA in email.body
    assert "\n" not in email.subject


def test_grade_reason_is_stored_as_typed(hostile):
    """The history keeps the raw text; escaping is the templates' job, not the database's."""
    assert GradeChange.objects.filter(customer=hostile["customer"], reason=SCRIPT).exists()
