"""Reading the uploaded file: rows of text cells, and which column is which.

CSV comes as UTF-8 (with or without the BOM Excel writes), GB18030 (what Excel in Chinese saves as
"CSV"), or UTF-16 ("Unicode text", tab-separated); XLSX is read with openpyxl in read-only mode,
first sheet, computed values rather than formulas.
"""

import codecs
import csv
import datetime
import io
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from crm.exports import CONTACT_COLUMNS, CUSTOMER_COLUMNS, FORMULA_PREFIXES, Column, contact_title

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
MAX_CONTACT_GROUPS = 50
REQUIRED_FIELDS = ("name", "phones")
ERRORS_COLUMN = "errors"  # the error report's extra column: a re-upload of the report ignores it


class FileUnreadable(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


def file_format(file_name: str, content: bytes) -> str:
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    if file_name.lower().endswith((".xls", ".xlsx", ".xlsm")) or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileUnreadable(_("This is not an XLSX file Excel can save today: save it as .xlsx or as CSV."))
    return "csv"


def decode_csv(content: bytes) -> str:
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")
    for encoding in ("utf-8", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileUnreadable(_("The file's characters could not be read: save it as “CSV UTF-8” and upload it again."))


def _delimiter(first_line: str) -> str:
    # Excel writes ";" in locales with a decimal comma and tabs for "Unicode text".
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def cell_text(value) -> str:
    """A cell as the text the import reads; a quote the export put before formula-like text is taken off."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    if isinstance(value, (datetime.date, Decimal, int, float)):
        return str(value)
    # A NUL byte means nothing in a spreadsheet cell, and PostgreSQL can store it neither as text nor in JSON.
    text = str(value).replace("\x00", "")
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        text = text[1:]
    return text.strip()


def read_rows(content: bytes, kind: str) -> Iterator[list[str]]:
    """Every row of the file as text cells, the header first."""
    if kind == "xlsx":
        yield from _xlsx_rows(content)
        return
    text = decode_csv(content)
    first_line = text.split("\n", 1)[0]
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line)):
            yield [cell_text(cell) for cell in row]
    except csv.Error as error:
        raise FileUnreadable(_("The CSV file is damaged: %(error)s") % {"error": error}) from error


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileUnreadable(_("The XLSX file could not be opened: save it again in Excel and upload it.")) from error
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield [cell_text(value) for value in row]
    finally:
        workbook.close()


def estimate_rows(content: bytes, kind: str) -> int | None:
    """Roughly how many data rows, cheaply, to decide whether the worker runs the job (None: unknown)."""
    if kind == "csv":
        return max(content.count(b"\n") - 1, 0) + (0 if content.endswith(b"\n") else 1)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        max_row = workbook.worksheets[0].max_row
        workbook.close()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError):
        return None
    return max_row - 1 if max_row else None


def normalize_title(title: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


@dataclass(frozen=True)
class Target:
    """Where a column's cells go: a customer field, or field of the contact in group `contact`."""

    column: Column
    contact: int = 0  # 0: the customer; n: contact group n


@lru_cache(maxsize=1)
def _titles() -> dict[str, Target | None]:
    """Every title the export writes, in every language, and every field name; None for ignored ones."""
    titles: dict[str, Target | None] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            titles[normalize_title(_("Errors"))] = None
            for column in CUSTOMER_COLUMNS:
                titles[normalize_title(str(column.title))] = Target(column) if column.field else None
            for number in range(1, MAX_CONTACT_GROUPS + 1):
                for column in CONTACT_COLUMNS:
                    titles[normalize_title(contact_title(number, column))] = Target(column, number)
    titles[ERRORS_COLUMN] = None
    for column in CUSTOMER_COLUMNS:
        if column.field:
            titles.setdefault(column.field, Target(column))
    return titles


@dataclass
class Layout:
    """The file's header understood: which index holds which field."""

    headers: list[str]
    customer: dict[str, int] = field(default_factory=dict)  # field → index
    contacts: dict[int, dict[str, int]] = field(default_factory=dict)  # group → field → index
    ignored: list[str] = field(default_factory=list)  # titles of columns the import does not read


def read_layout(headers: list[str]) -> Layout:
    layout = Layout(headers=headers)
    titles = _titles()
    for index, title in enumerate(headers):
        if not title:
            continue
        key = normalize_title(title)
        if key not in titles:
            layout.ignored.append(title)
            continue
        target = titles[key]
        if target is None:
            continue
        fields = layout.contacts.setdefault(target.contact, {}) if target.contact else layout.customer
        if target.column.field in fields:
            raise FileUnreadable(_("The column “%(title)s” appears twice.") % {"title": title})
        fields[target.column.field] = index
    missing = [
        str(column.title)
        for column in CUSTOMER_COLUMNS
        if column.field in REQUIRED_FIELDS and column.field not in layout.customer
    ]
    if missing:
        raise FileUnreadable(
            _("The file has no column “%(titles)s”. The first row must hold the column titles, as in the template.")
            % {"titles": "”, “".join(missing)}
        )
    layout.contacts = dict(sorted(layout.contacts.items()))
    return layout
