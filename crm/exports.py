"""The customer list as CSV or XLSX, safe to open in a spreadsheet."""

import csv
import io

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula is prefixed with a quote (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def customer_columns():
    return [
        (_("ID"), lambda c: c.pk),
        (_("Company name"), lambda c: c.name),
        (_("Credit code"), lambda c: c.credit_code),
        (_("Grade"), lambda c: c.grade),
        (_("Status"), lambda c: c.get_status_display()),
        (_("Industry"), lambda c: c.get_industry_display()),
        (_("Province / region"), lambda c: c.region),
        (_("City"), lambda c: c.city),
        (_("Address"), lambda c: c.address),
        (_("Phones"), lambda c: c.phones),
        (_("Website"), lambda c: c.website),
        (_("Source"), lambda c: c.get_source_display()),
        (_("Referred by"), lambda c: c.referred_by.name if c.referred_by else ""),
        (_("Annual purchases (CNY)"), lambda c: c.annual_purchases),
        (_("Share of wallet (%)"), lambda c: c.share_of_wallet),
        (_("Relationship"), lambda c: c.get_relationship_level_display()),
        (_("Owner"), lambda c: str(c.owner) if c.owner else ""),
        (_("Next follow-up"), lambda c: c.next_follow_up_on),
        (_("Registered at"), lambda c: timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M")),
    ]


def rows(customers):
    columns = customer_columns()
    yield [str(title) for title, _value in columns]
    for customer in customers.iterator(chunk_size=2000):
        yield [spreadsheet_safe(value(customer)) for _title, value in columns]


class _Echo:
    def write(self, value):
        return value


def csv_lines(customers):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # the BOM makes Excel read the file as UTF-8, so Chinese names survive
    for row in rows(customers):
        yield writer.writerow(row)


def customer_export_response(customers, file_format):
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "csv":
        response = StreamingHttpResponse(csv_lines(customers), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
        return response
    if file_format == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Customers"))
        for row in rows(customers):
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.xlsx"'
        return response
    raise Http404
