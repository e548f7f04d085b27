"""Reading the uploaded file: rows of text cells, and which column is which.

CSV comes as UTF-8 (with or without the BOM Excel writes), GB18030 (what Excel in Chinese saves as
"CSV"), or UTF-16 ("Unicode text", tab-separated); XLSX is read part by part with openpyxl's
parsers, first sheet, computed values rather than formulas.

Every read is bounded, because an uploaded file is untrusted: an XLSX archive is measured before
anything in it is unpacked (entries, unpacked size, compression ratio), a sheet is walked by the
rows it really holds (never by the size it declares), and rows, lines, columns and cells have
limits (settings IMPORT_*). The web request reads only the column titles, within a time and byte
budget (`inspect_upload`); the worker reads the rest (`read_rows`).
"""

import codecs
import csv
import datetime
import io
import itertools
import struct
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import CELL_TAG, ROW_TAG, WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

from crm import formatting
from crm.exports import CONTACT_COLUMNS, CUSTOMER_COLUMNS, FORMULA_PREFIXES, Column, contact_title

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
MAX_CONTACT_GROUPS = 50
REQUIRED_FIELDS = ("name", "phones")
ERRORS_COLUMN = "errors"  # the error report's extra column: a re-upload of the report ignores it
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELLS_PER_ROW = 16_384  # column XFD: no spreadsheet program writes more cells in a row
SMALL_PART_BYTES = 10 * 1024 * 1024  # the parts read whole (content types, workbook, styles) are small in any real file
ESTIMATE_SAMPLE_BYTES = 1024 * 1024  # of a large sheet, read to estimate its rows
MAX_LINE_CHARS = 1024 * 1024  # a CSV line; a row of the widest real export is a few KB
STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"
MB = 1024 * 1024


class FileUnreadable(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


class _OutOfBudget(Exception):
    """The web request's reading budget ran out; what was read so far decides."""


def _limit(name: str) -> int:
    return getattr(settings, name)


def file_format(file_name: str, content: bytes) -> str:
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    if file_name.lower().endswith((".xls", ".xlsx", ".xlsm")) or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileUnreadable(_("This is not an XLSX file Excel can save today: save it as .xlsx or as CSV."))
    return "csv"


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


def _cells(values: list, number: int) -> list[str]:
    """A row's cells as text, refused when wider or longer than any customer row is."""
    max_columns = _limit("IMPORT_MAX_COLUMNS")
    if len(values) > max_columns:
        if any(value not in (None, "") for value in values[max_columns:]):
            raise _too_wide(number)
        values = values[:max_columns]
    max_chars = _limit("IMPORT_MAX_CELL_CHARS")
    if any(isinstance(value, str) and len(value) > max_chars for value in values):
        raise _cell_too_long(number)
    return [cell_text(value) for value in values]


def _too_wide(number: int) -> FileUnreadable:
    return FileUnreadable(
        _("Row %(row)s has cells beyond column %(columns)s: delete the extra columns and upload again.")
        % {"row": formatting.number(number), "columns": formatting.number(_limit("IMPORT_MAX_COLUMNS"))}
    )


def _cell_too_long(number: int) -> FileUnreadable:
    return FileUnreadable(
        _("A cell in row %(row)s holds more than %(chars)s characters: shorten it and upload again.")
        % {"row": formatting.number(number), "chars": formatting.number(_limit("IMPORT_MAX_CELL_CHARS"))}
    )


def _bounded(rows: Iterator[tuple[int, object]], deadline: float | None = None):
    """Rows as they come, refused when data follows a long run of empty rows (a sheet padded to its last row)."""
    max_empty = _limit("IMPORT_MAX_EMPTY_ROWS")
    last = 0
    for number, cells in rows:
        if deadline is not None and time.monotonic() > deadline:
            raise _OutOfBudget
        if any(cells):
            if number - last - 1 > max_empty:
                raise FileUnreadable(
                    _("Row %(row)s comes after more than %(count)s empty rows: delete the empty rows and upload again.")
                    % {"row": formatting.number(number), "count": formatting.number(max_empty)}
                )
            last = number
        yield number, cells


def read_rows(content: bytes, kind: str) -> Iterator[tuple[int, list[str]]]:
    """Every row the file holds, with the number a spreadsheet shows it under, the header first."""
    if kind == "xlsx":
        yield from _xlsx_rows(content)
    else:
        stream = io.TextIOWrapper(io.BytesIO(content), encoding=_csv_encoding(content), newline="")
        yield from _bounded(_csv_rows(stream))


@dataclass(frozen=True)
class Upload:
    """What the web request learns of an upload: its titles, and about how many rows follow them."""

    headers: list[str]
    rows: int
    small: bool  # few rows in few bytes: the web request may check it at once


def inspect_upload(content: bytes, kind: str, *, inline_rows: int) -> Upload:
    """The column titles and a row count, read within a fixed time and byte budget (the web request's part)."""
    deadline = time.monotonic() + _limit("IMPORT_WEB_READ_SECONDS")
    try:
        if kind == "xlsx":
            return _inspect_xlsx(content, inline_rows, deadline)
        return _inspect_csv(content, inline_rows, deadline)
    except _OutOfBudget as error:
        raise FileUnreadable(
            _(
                "The column titles could not be found at the top of the file: the first row must hold the "
                "column titles, as in the template."
            )
        ) from error


# --- CSV ------------------------------------------------------------------------------------------


def _decodes(content: bytes, encoding: str) -> bool:
    """Whether the whole file is in `encoding`, checked piece by piece (no second copy of a large file)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(content)
    try:
        for start in range(0, len(view), MB):
            decoder.decode(view[start : start + MB])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _unreadable_characters() -> FileUnreadable:
    return FileUnreadable(_("The file's characters could not be read: save it as “CSV UTF-8” and upload it again."))


def _csv_encoding(content: bytes) -> str:
    if content.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        if _decodes(content, encoding):
            return encoding
    raise _unreadable_characters()


def _delimiter(first_line: str) -> str:
    # Excel writes ";" in locales with a decimal comma and tabs for "Unicode text".
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _csv_lines(stream) -> Iterator[str]:
    """The file's lines, none longer than MAX_LINE_CHARS: the csv module would hold a line of any length."""
    number = 0
    while line := stream.readline(MAX_LINE_CHARS):
        number += 1
        if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise FileUnreadable(
                _("Line %(line)s of the file is longer than %(chars)s characters: save it as CSV again and upload it.")
                % {"line": formatting.number(number), "chars": formatting.number(MAX_LINE_CHARS)}
            )
        yield line


def _csv_rows(stream) -> Iterator[tuple[int, list[str]]]:
    csv.field_size_limit(_limit("IMPORT_MAX_CELL_CHARS"))  # the csv module's own default is 131,072
    number = 0
    try:
        lines = _csv_lines(stream)
        first = next(lines, "")
        for number, row in enumerate(csv.reader(itertools.chain([first], lines), delimiter=_delimiter(first)), 1):
            yield number, _cells(row, number)
    except UnicodeDecodeError as error:
        raise _unreadable_characters() from error
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise _cell_too_long(number + 1) from error
        raise FileUnreadable(_("The CSV file is damaged: %(error)s") % {"error": error}) from error


def _decode_head(head: bytes, *, final: bool) -> str:
    if head.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            # Not final when the file goes on: a character cut at the end waits for bytes never read.
            return codecs.getincrementaldecoder(encoding)().decode(head, final=final)
        except UnicodeDecodeError:
            continue
    raise _unreadable_characters()


def _inspect_csv(content: bytes, inline_rows: int, deadline: float) -> Upload:
    size = _limit("IMPORT_MAX_HEADER_KB") * 1024
    head = content[:size]
    cut = len(head) < len(content)
    text = _decode_head(head, final=not cut)
    if cut:
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]  # whole lines only
    header = next(
        (cells for _number, cells in _bounded(_csv_rows(io.StringIO(text, newline="")), deadline) if any(cells)),
        None,
    )
    if header is None:
        if cut:
            raise FileUnreadable(
                _("The column titles are not within the first %(size)s KB of the file: the first row must hold them.")
                % {"size": size // 1024}
            )
        raise FileUnreadable(_("The file is empty."))
    rows = max(content.count(b"\n") - 1, 0) + (0 if content.endswith(b"\n") else 1)
    return Upload(headers=header, rows=rows, small=rows <= inline_rows and len(content) <= _inline_bytes())


def _inline_bytes() -> int:
    return _limit("IMPORT_INLINE_MAX_KB") * 1024


# --- XLSX -----------------------------------------------------------------------------------------

# What openpyxl's parsers and zipfile raise on a damaged or hostile archive.
XLSX_ERRORS = (
    zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, ValueError, TypeError, AttributeError, IndexError,
    ParseError, InvalidFileException, DefusedXmlException,
)  # fmt: skip


def _unopenable() -> FileUnreadable:
    return FileUnreadable(_("The XLSX file could not be opened: save it again in Excel and upload it."))


def _zip_directory(content: bytes) -> tuple[int, int]:
    """The entry count and central directory size an archive declares, read from its end record alone."""
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 22 - 0xFFFF))
    if end < 0 or end + 22 > len(content):
        raise _unopenable()
    entries, directory = struct.unpack_from("<HL", content, end + 10)
    if entries == 0xFFFF or directory == 0xFFFFFFFF:  # zip64: the counts are in the record the locator names
        locator = end - 20
        if locator < 0 or content[locator : locator + 4] != b"PK\x06\x07":
            raise _unopenable()
        (record,) = struct.unpack_from("<Q", content, locator + 8)
        if record + 56 > len(content) or content[record : record + 4] != b"PK\x06\x06":
            raise _unopenable()
        entries, directory = struct.unpack_from("<QQ", content, record + 32)
    return entries, directory


def _check_archive(content: bytes) -> None:
    """Measure the archive before anything in it is unpacked: a few KB may unpack to gigabytes."""
    entries, directory = _zip_directory(content)
    max_entries = _limit("IMPORT_MAX_ZIP_ENTRIES")
    # Each entry takes at least 46 bytes of the directory; a directory far larger than the count says lies.
    if entries > max_entries or directory > max_entries * 1024:
        raise FileUnreadable(
            _("The XLSX file holds more than %(count)s parts, far more than a spreadsheet: save it again in Excel.")
            % {"count": formatting.number(max_entries)}
        )
    try:
        infos = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except XLSX_ERRORS as error:
        raise _unopenable() from error
    max_mb = _limit("IMPORT_MAX_UNPACKED_MB")
    # zipfile never unpacks an entry past the size the directory declares for it, so the declared sizes bound the work.
    if sum(info.file_size for info in infos) > max_mb * MB:
        raise FileUnreadable(
            _("The XLSX file unpacks to more than %(size)s MB: split it into several files.") % {"size": max_mb}
        )
    max_ratio = _limit("IMPORT_MAX_COMPRESSION_RATIO")
    for info in infos:
        name = info.filename
        whole = (
            name.endswith((".xml", ".rels")) and not name.startswith("xl/worksheets/") and "sharedStrings" not in name
        )
        if (info.file_size > MB and info.file_size > max_ratio * max(info.compress_size, 1)) or (
            whole and info.file_size > SMALL_PART_BYTES
        ):
            raise FileUnreadable(
                _(
                    "The XLSX file is packed %(ratio)s times tighter than a real spreadsheet, or holds an outsized "
                    "part: save it again in Excel and upload it."
                )
                % {"ratio": formatting.number(max(info.file_size // max(info.compress_size, 1), 1))}
            )


class _Budget:
    """The sheet as a stream, cut off after `limit` bytes or at `deadline`: the web request reads the top only."""

    def __init__(self, raw, limit: int, deadline: float):
        self.raw, self.limit, self.deadline, self.read_bytes = raw, limit, deadline, 0

    def read(self, size=-1):
        if self.read_bytes >= self.limit or time.monotonic() > self.deadline:
            raise _OutOfBudget
        data = self.raw.read(min(size, self.limit - self.read_bytes) if size >= 0 else self.limit - self.read_bytes)
        self.read_bytes += len(data)
        return data


class _StringRef:
    """A shared string not looked up yet: the web request looks up only the titles' strings."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


class _DeferredStrings:
    def __getitem__(self, index: int) -> _StringRef:
        return _StringRef(index)


def _row_number(text: str | None, previous: int) -> int:
    number = int(text) if text is not None else previous + 1
    if not previous < number <= EXCEL_MAX_ROWS:
        raise _unopenable()  # rows out of order or past Excel's last: not a sheet a program wrote
    return number


class _Workbook:
    """An XLSX upload, measured, then opened part by part (never through the dimension the sheet declares)."""

    def __init__(self, content: bytes):
        _check_archive(content)
        try:
            self.reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
            self.reader.read_manifest()
            self.reader.read_workbook()
            apply_stylesheet(self.reader.archive, self.reader.wb)
            self.sheet = next(
                (
                    rel.target
                    for _sheet, rel in self.reader.parser.find_sheets()
                    if rel.target in self.reader.valid_files and "chartsheet" not in rel.Type
                ),
                None,
            )
        except XLSX_ERRORS as error:
            raise _unopenable() from error
        if self.sheet is None:
            raise FileUnreadable(_("The file is empty."))
        self.sheet_size = self.reader.archive.getinfo(self.sheet).file_size
        self.unpacked = sum(info.file_size for info in self.reader.archive.infolist())

    def rows(self, strings, budget: _Budget | None = None) -> Iterator[tuple[int, dict[int, object]]]:
        """Each row the sheet holds, as {column: value} of its non-empty cells; memory stays flat."""
        wb = self.reader.wb
        parser = WorkSheetParser(
            None, strings, data_only=True, epoch=wb.epoch, date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )  # fmt: skip
        with self.reader.archive.open(self.sheet) as raw:
            if budget is not None:
                budget.raw = raw
            source = raw if budget is None else budget
            stack, in_cell, number, cells, values = [], 0, 0, 0, {}
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    stack.append(element)
                    if element.tag == CELL_TAG:
                        in_cell += 1
                    elif element.tag == ROW_TAG:
                        number = _row_number(element.get("r"), number)
                        parser.row_counter, parser.col_counter, cells, values = number, 0, 0, {}
                    continue
                stack.pop()
                if element.tag == CELL_TAG:
                    in_cell -= 1
                    cells += 1
                    if cells > EXCEL_MAX_CELLS_PER_ROW:
                        raise _unopenable()
                    cell = parser.parse_cell(element)
                    if cell["value"] not in (None, ""):
                        values[cell["column"]] = cell["value"]
                elif element.tag == ROW_TAG:
                    yield number, values
                if not in_cell and stack:
                    del stack[-1][:]  # what was read is dropped, however long the sheet

    def strings(self, wanted: set[int], deadline: float) -> dict[int, str]:
        """The shared strings numbered in `wanted`, read up to the last of them and no further."""
        part = self.reader.package.find(SHARED_STRINGS)
        if part is None or not wanted:
            return {}
        found, last, index = {}, max(wanted), -1
        with self.reader.archive.open(part.PartName[1:]) as raw:
            stack = []
            for event, element in iterparse(
                _Budget(raw, _limit("IMPORT_MAX_UNPACKED_MB") * MB, deadline), ("start", "end")
            ):
                if event == "start":
                    stack.append(element)
                    continue
                stack.pop()
                if element.tag == STRING_TAG:
                    index += 1
                    if index in wanted:
                        found[index] = Text.from_tree(element).content.replace("x005F_", "")
                    if index >= last:
                        break
                    del stack[-1][:]
        return found


def _row_values(values: dict[int, object], number: int) -> list:
    if not values:
        return []
    width = max(values)  # the columns of its non-empty cells only
    if width > _limit("IMPORT_MAX_COLUMNS"):
        raise _too_wide(number)
    row = [None] * width
    for column, value in values.items():
        row[column - 1] = value
    return row


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    book = _Workbook(content)
    try:
        book.reader.read_strings()
        for number, values in _bounded(book.rows(book.reader.shared_strings)):
            yield number, _cells(_row_values(values, number), number)
    except XLSX_ERRORS as error:
        raise _unopenable() from error


def _inspect_xlsx(content: bytes, inline_rows: int, deadline: float) -> Upload:
    book = _Workbook(content)
    budget = _Budget(None, _limit("IMPORT_WEB_SHEET_MB") * MB, deadline)
    header, header_number, counted, finished = None, 0, 0, False
    try:
        for number, values in _bounded(book.rows(_DeferredStrings(), budget), deadline):
            if header is None:
                header, header_number = values or None, number
            elif values:
                counted += 1
                # Counted over a sample of the sheet (not a few rows, which the parser reads ahead of) to estimate.
                if counted > inline_rows and budget.read_bytes >= ESTIMATE_SAMPLE_BYTES:
                    break
        else:
            finished = True
    except _OutOfBudget:
        if header is None:
            raise
    except XLSX_ERRORS as error:
        raise _unopenable() from error
    if header is None:
        raise FileUnreadable(_("The file is empty."))
    row = _row_values(header, header_number)
    try:
        strings = book.strings({value.index for value in row if isinstance(value, _StringRef)}, deadline)
    except XLSX_ERRORS as error:
        raise _unopenable() from error
    row = [strings.get(value.index) if isinstance(value, _StringRef) else value for value in row]
    headers = _cells(row, header_number)
    # Unless the sheet was read to its end: from the share of the sheet the rows read so far took.
    rows = counted if finished else max(inline_rows + 1, book.sheet_size * counted // max(budget.read_bytes, 1))
    small = finished and counted <= inline_rows and book.unpacked <= _inline_bytes()
    return Upload(headers=headers, rows=rows, small=small)


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


def match_headers(headers: list[str], titles: dict, place) -> tuple[dict, dict, list]:
    """Which index holds which field: (the row's own fields, {group number: its fields}, the titles not read).

    `titles` maps a normalized title to its target (None: a column known and not read); `place(target)` gives
    the target's (group number, or None for the row's own fields, and field name). A title twice is refused."""
    own, groups, ignored = {}, {}, []
    for index, title in enumerate(headers):
        if not title:
            continue
        key = normalize_title(title)
        if key not in titles:
            ignored.append(title)
            continue
        if titles[key] is None:
            continue
        group, name = place(titles[key])
        fields = groups.setdefault(group, {}) if group else own
        if name in fields:
            raise FileUnreadable(_("The column “%(title)s” appears twice.") % {"title": title})
        fields[name] = index
    return own, dict(sorted(groups.items())), ignored


def refuse_missing_columns(missing: list[str]) -> None:
    if missing:
        raise FileUnreadable(
            _("The file has no column “%(titles)s”. The first row must hold the column titles, as in the template.")
            % {"titles": "”, “".join(missing)}
        )


def read_layout(headers: list[str]) -> Layout:
    customer, contacts, ignored = match_headers(
        headers, _titles(), lambda target: (target.contact, target.column.field)
    )
    layout = Layout(headers=headers, customer=customer, contacts=contacts, ignored=ignored)
    refuse_missing_columns(
        [
            str(column.title)
            for column in CUSTOMER_COLUMNS
            if column.field in REQUIRED_FIELDS and column.field not in layout.customer
        ]
    )
    return layout
