"""The customer spreadsheet (CSV or XLSX): what the export writes and the import (claims.imports) reads back.

One row per customer, its contacts side by side in numbered column groups. The columns are
defined once, here: the import finds them by their titles in any of the site's languages.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .formatting import file_stamp, iso_date_time
from .models import (
    Attitude,
    BuyingRole,
    CommunicationStyle,
    Contact,
    Grade,
    Industry,
    Influence,
    RelationshipLevel,
    Source,
    Status,
)

FORMATS = ("csv", "xlsx")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula is prefixed with a quote (CSV injection); control characters
    no XLSX cell can hold (a form accepts them) are dropped."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def yes_no(flag: bool) -> str:
    return _("yes") if flag else _("no")


@dataclass(frozen=True)
class Column:
    """A spreadsheet column: its title, the cell the export writes, and how the import reads it back."""

    title: str
    value: Callable
    field: str = ""  # the form field the import fills from it; "" for columns the import ignores
    kind: str = "text"  # text | choice | yes_no | amount | percent | owner
    choices: type | None = None


CUSTOMER_COLUMNS = [
    Column(gettext_lazy("ID"), lambda c: c.pk),
    Column(gettext_lazy("Company name"), lambda c: c.name, "name"),
    Column(gettext_lazy("Credit code"), lambda c: c.credit_code, "credit_code"),
    Column(gettext_lazy("Grade"), lambda c: c.grade, "grade", "choice", Grade),
    Column(gettext_lazy("Status"), lambda c: c.get_status_display(), "status", "choice", Status),
    Column(gettext_lazy("Industry"), lambda c: c.get_industry_display(), "industry", "choice", Industry),
    Column(gettext_lazy("Province / region"), lambda c: c.region, "region"),
    Column(gettext_lazy("City"), lambda c: c.city, "city"),
    Column(gettext_lazy("Address"), lambda c: c.address, "address"),
    Column(gettext_lazy("Phones"), lambda c: c.phones, "phones"),
    Column(gettext_lazy("Website"), lambda c: c.website, "website"),
    Column(gettext_lazy("Source"), lambda c: c.get_source_display(), "source", "choice", Source),
    Column(gettext_lazy("Referred by"), lambda c: c.referred_by.name if c.referred_by else "", "referred_by"),
    Column(gettext_lazy("Annual purchases (CNY)"), lambda c: c.annual_purchases, "annual_purchases", "amount"),
    Column(gettext_lazy("Share of wallet (%)"), lambda c: c.share_of_wallet, "share_of_wallet", "percent"),
    Column(
        gettext_lazy("Relationship"),
        lambda c: c.get_relationship_level_display(),
        "relationship_level",
        "choice",
        RelationshipLevel,
    ),
    Column(gettext_lazy("Owner"), lambda c: str(c.owner) if c.owner else "", "owner", "owner"),
    Column(gettext_lazy("Next follow-up"), lambda c: c.next_follow_up_on),
    Column(gettext_lazy("Registered at"), lambda c: iso_date_time(c.created_at)),
    Column(gettext_lazy("Group company"), lambda c: c.group_name, "group_name"),
    Column(gettext_lazy("Customer's need"), lambda c: c.need, "need"),
    Column(gettext_lazy("Strategic partner"), lambda c: yes_no(c.is_strategic), "is_strategic", "yes_no"),
    Column(gettext_lazy("High-growth potential"), lambda c: yes_no(c.is_high_growth), "is_high_growth", "yes_no"),
    Column(gettext_lazy("MAN: money"), lambda c: yes_no(c.man_money), "man_money", "yes_no"),
    Column(gettext_lazy("MAN: authority"), lambda c: yes_no(c.man_authority), "man_authority", "yes_no"),
    Column(gettext_lazy("MAN: need"), lambda c: yes_no(c.man_need), "man_need", "yes_no"),
    Column(gettext_lazy("Notes"), lambda c: c.notes, "notes"),
]

CONTACT_COLUMNS = [
    Column(gettext_lazy("name"), lambda k: k.name, "name"),
    Column(gettext_lazy("title"), lambda k: k.title, "title"),
    Column(gettext_lazy("department"), lambda k: k.department, "department"),
    Column(gettext_lazy("phones"), lambda k: k.phones, "phones"),
    Column(gettext_lazy("email"), lambda k: k.email, "email"),
    Column(gettext_lazy("WeChat"), lambda k: k.wechat, "wechat"),
    Column(gettext_lazy("buying role"), lambda k: k.get_buying_role_display(), "buying_role", "choice", BuyingRole),
    Column(gettext_lazy("attitude"), lambda k: k.get_attitude_display(), "attitude", "choice", Attitude),
    Column(gettext_lazy("influence"), lambda k: k.get_influence_display(), "influence", "choice", Influence),
    Column(
        gettext_lazy("communication style"),
        lambda k: k.get_communication_style_display(),
        "communication_style",
        "choice",
        CommunicationStyle,
    ),
    Column(gettext_lazy("primary contact"), lambda k: yes_no(k.is_primary), "is_primary", "yes_no"),
    Column(gettext_lazy("notes"), lambda k: k.notes, "notes"),
]


def contact_title(number: int, column: Column) -> str:
    return _("Contact %(number)s: %(field)s") % {"number": number, "field": column.title}


def header(contact_groups: int) -> list[str]:
    titles = [str(column.title) for column in CUSTOMER_COLUMNS]
    for number in range(1, contact_groups + 1):
        titles += [contact_title(number, column) for column in CONTACT_COLUMNS]
    return titles


def customer_cells(customer, contact_groups: int) -> list:
    cells = [column.value(customer) for column in CUSTOMER_COLUMNS]
    contacts = list(customer.contacts.all())
    for number in range(contact_groups):
        if number < len(contacts):
            cells += [column.value(contacts[number]) for column in CONTACT_COLUMNS]
        else:
            cells += [""] * len(CONTACT_COLUMNS)
    return [spreadsheet_safe(value) for value in cells]


def contact_groups_needed(customers) -> int:
    """As many contact column groups as the customer with the most contacts needs (at least one)."""
    most = customers.order_by().annotate(contact_count=Count("contacts")).aggregate(most=Max("contact_count"))["most"]
    return max(most or 0, 1)


def rows(customers):
    contact_groups = contact_groups_needed(customers)
    yield header(contact_groups)
    customers = customers.prefetch_related(Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "pk")))
    for customer in customers.iterator(chunk_size=2000):
        yield customer_cells(customer, contact_groups)


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows):
    """`rows` (lists of cells, the titles first) as CSV text, line by line."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # the BOM makes Excel read the file as UTF-8, so Chinese names survive
    for row in rows:
        yield writer.writerow(row)


def spreadsheet_response(rows, file_format, *, name: str, sheet: str):
    """`rows` (lists of cells, the titles first) as a CSV download, streamed, or an XLSX workbook of one sheet."""
    stamp = file_stamp(timezone.now())
    if file_format == "csv":
        response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
        return response
    if file_format == "xlsx":
        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet(sheet)
        for row in rows:
            worksheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
        return response
    raise Http404


def customer_export_response(customers, file_format, name="customers"):
    return spreadsheet_response(rows(customers), file_format, name=name, sheet=_("Customers"))
