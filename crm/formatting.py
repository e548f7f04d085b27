"""How the CRM writes dates, amounts, percentages and phone numbers: one definition for pages, PDFs, emails,
exports and the calendar feed. Templates use the filters of `{% load formatting %}` (crm/templatetags/formatting.py),
Python code these functions; nowhere else chooses a format.

Dates, always in local time (TIME_ZONE, Asia/Shanghai), in the active language:

| context      | function      | English           | Chinese               | where                                   |
| ------------ | ------------- | ----------------- | --------------------- | --------------------------------------- |
| full date    | full_date     | 18 Nov 2026       | 2026年11月18日        | a date read on its own: details, PDFs   |
| short date   | short_date    | 18 Nov            | 11月18日              | lists; another year's date is written   |
|              |               |                   |                       | in full, so it is never ambiguous       |
| date, time   | date_time     | 18 Nov 2026 16:00 | 2026年11月18日 16:00  | when something happened                 |
| short, time  | short_date_time | 18 Nov 16:00    | 11月18日 16:00      | lists (another year's: date_time)       |
| time range   | time_range    | … 14:00 – 16:00   | … 14:00 – 16:00       | a visit (across days: both in full)     |
| relative     | relative_due  | 3 days overdue    | 逾期 3 天             | where a person reads urgency            |
|              | age           | 3 days ago        | 3 天前                | how long something has waited           |
| machine      | iso_date      | 2026-11-18        | 2026-11-18            | input values, `datetime=`, spreadsheets |
|              | iso_date_time | 2026-11-18 16:00  | 2026-11-18 16:00      | spreadsheet cells                       |

Chinese short dates are 11月18日 rather than 11-18: a bare 11-18 reads as a range or a code in a list of numbers.

Money is yuan with grouped digits, ¥5,600,000, in both languages (Chinese formats group nothing by default, which
gave ¥5600000). Summaries round large amounts: ¥380万 / ¥1.2亿 in Chinese, ¥3.8M / ¥380K in English.
"""

import datetime
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext, ngettext, pgettext

DATE_FORMATS = {
    "en": {"full": "j M Y", "short": "j M", "date_time": "j M Y H:i", "time": "H:i"},
    "zh": {"full": "Y年n月j日", "short": "n月j日", "date_time": "Y年n月j日 H:i", "time": "H:i"},
}
ISO_DATE = "Y-m-d"
ISO_DATE_TIME = "Y-m-d H:i"
# What <input type="datetime-local"> reads and sends (a strftime pattern, for a form widget's `format`).
DATETIME_LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _formats() -> dict[str, str]:
    language = translation.get_language() or "en"
    return DATE_FORMATS["zh" if language.lower().startswith("zh") else "en"]


def _is_chinese() -> bool:
    return (translation.get_language() or "en").lower().startswith("zh")


def local(value):
    """A datetime in local time (an aware one is converted, a naive one taken as local); a date as it is."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def local_day(value) -> datetime.date | None:
    """The local calendar day of a date or datetime: 16:30 UTC is already the next day in Shanghai."""
    if not isinstance(value, datetime.date):
        return None
    value = local(value)
    return value.date() if isinstance(value, datetime.datetime) else value


def _format(value, pattern: str) -> str:
    if not isinstance(value, datetime.date):
        return ""  # nothing to write, or not a date: as Django's |date, an empty string rather than a failed page
    return dateformat.format(local(value), pattern)


def full_date(value) -> str:
    """18 Nov 2026 · 2026年11月18日 ("" for no date)."""
    return _format(local_day(value), _formats()["full"])


def short_date(value, today: datetime.date | None = None) -> str:
    """18 Nov · 11月18日 for this year's dates; another year's date is written in full."""
    day = local_day(value)
    if day is None:
        return ""
    if day.year != (today or timezone.localdate()).year:
        return full_date(day)
    return _format(day, _formats()["short"])


def date_time(value) -> str:
    """18 Nov 2026 16:00 · 2026年11月18日 16:00, in local time (a date alone is written as full_date)."""
    if not isinstance(value, datetime.datetime):
        return full_date(value)
    return _format(value, _formats()["date_time"])


def short_date_time(value, today: datetime.date | None = None) -> str:
    """18 Nov 16:00 · 11月18日 16:00 in lists; another year's moment is written as date_time."""
    day = local_day(value)
    if day is None:
        return ""
    if not isinstance(value, datetime.datetime) or day.year != (today or timezone.localdate()).year:
        return date_time(value)
    return f"{short_date(day, today)} {_format(value, _formats()['time'])}"


def time_range(start, end=None) -> str:
    """From `start` to `end`: the end's time alone when both fall on one local day."""
    if end in (None, ""):
        return date_time(start)
    if local_day(start) == local_day(end):
        return f"{date_time(start)} – {_format(end, _formats()['time'])}"
    return f"{date_time(start)} – {date_time(end)}"


def iso_date(value) -> str:
    """2026-11-18 (local day): for machines and spreadsheets, the same in every language."""
    return _format(local_day(value), ISO_DATE)


def iso_date_time(value) -> str:
    """2026-11-18 16:00 in local time, for spreadsheet cells."""
    return _format(value, ISO_DATE_TIME)


def file_stamp(value) -> str:
    """20261118-1600 in local time: a file name that sorts by when it was made."""
    return _format(value, "Ymd-Hi")


def days_since(moment, today: datetime.date | None = None) -> int:
    """Local calendar days from `moment` to today: opened at 23:50, it is one day old at 00:10."""
    return ((today or timezone.localdate()) - local_day(moment)).days


def age_text(days: int) -> str:
    """How old something is, in words: "today", "yesterday", "3 days ago"."""
    if days <= 0:
        return gettext("today")
    if days == 1:
        return gettext("yesterday")
    return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}


def age(moment, today: datetime.date | None = None) -> str:
    """ "today", "yesterday", "3 days ago": how long ago `moment` was, in local calendar days."""
    return "" if moment in (None, "") else age_text(days_since(moment, today))


def due_text(days_late: int) -> str:
    """The one wording of a due day's urgency: "3 days overdue", "Due today", "due in 2 days"."""
    if days_late > 0:
        return ngettext("%(days)s day overdue", "%(days)s days overdue", days_late) % {"days": days_late}
    if days_late == 0:
        return gettext("Due today")
    return ngettext("due in %(days)s day", "due in %(days)s days", -days_late) % {"days": -days_late}


def relative_due(due, today: datetime.date | None = None) -> str:
    """How `due` (a date, or a datetime taken by its local day) stands against today, in words (see due_text)."""
    day = local_day(due)
    if day is None:
        return ""
    return due_text(((today or timezone.localdate()) - day).days)


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _trimmed(number: Decimal, places: int) -> str:
    """Rounded half up to `places` decimals, without trailing zeros, digits grouped: 1,234.5 · 380."""
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(value) -> str:
    """Grouped digits, the same in every language: 12,345 (counts of rows, customers)."""
    amount = _decimal(value)
    return "" if amount is None else _trimmed(amount, 2)


def money(value) -> str:
    """Yuan with grouped digits: ¥5,600,000 (cents only when there are any: ¥12.50)."""
    amount = _decimal(value)
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    digits = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{sign}¥{digits}"


# (threshold, divisor, unit) from the largest; the first threshold the amount reaches is used.
SUMMARY_UNITS = {
    "zh": [(Decimal(10) ** 8, Decimal(10) ** 8, "亿"), (Decimal(10) ** 4, Decimal(10) ** 4, "万")],
    "en": [(Decimal(10) ** 6, Decimal(10) ** 6, "M"), (Decimal(10) ** 3, Decimal(10) ** 3, "K")],
}


def money_summary(value) -> str:
    """A large amount rounded for a summary: ¥380万 / ¥1.2亿 in Chinese, ¥3.8M / ¥380K in English.
    Amounts below the smallest unit are written in full (money)."""
    amount = _decimal(value)
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    for threshold, divisor, unit in SUMMARY_UNITS["zh" if _is_chinese() else "en"]:
        if abs(amount) >= threshold:
            return f"{sign}¥{_trimmed(abs(amount) / divisor, 1)}{unit}"
    return money(amount)


def percent(value) -> str:
    """35% · 12.5% (at most one decimal)."""
    share = _decimal(value)
    return "" if share is None else f"{_trimmed(share, 1)}%"


PHONE_SEPARATORS = re.compile(r"[,，;；、/\n]+")


def phone_numbers(text) -> list[str]:
    """The numbers of a free-text phones field ("138…, 0532-…"), each as typed."""
    return [part.strip() for part in PHONE_SEPARATORS.split(text or "") if part.strip()]


PHONE_EXTENSION = re.compile(r"\s*[(\[]?\s*(?:转|轉|分机|分機|extension|ext\.?|x|#)[\s.:]*(\d{1,6})\s*[)\]]?\s*$", re.I)


def _phone_parts(text: str) -> tuple[str, str, str] | None:
    """(country prefix, national digits, extension) of a Chinese number as typed, or None for anything else."""
    text = unicodedata.normalize("NFKC", str(text)).strip()
    extension = ""
    if match := PHONE_EXTENSION.search(text):
        extension, text = match.group(1), text[: match.start()]
    if re.search(r"[^\d\s()+\-.]", text):
        return None
    digits = re.sub(r"\D", "", text)
    prefix = ""
    if text.lstrip("(").startswith("+86"):
        prefix, digits = "+86", digits[2:]
    elif digits.startswith("0086"):
        prefix, digits = "+86", digits[4:]
    elif text.startswith("+"):
        return None  # another country's number: written as typed
    if prefix and digits and not digits.startswith(("0", "1")):
        digits = "0" + digits  # dialled from abroad a landline drops its trunk 0
    return prefix, digits, extension


def _group_national(digits: str) -> str | None:
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"  # mobile, 3-4-4
    if digits.startswith("0") and 10 <= len(digits) <= 12:
        area = 3 if digits.startswith(("01", "02")) else 4  # Beijing 010 and 020-029; others 0xxx
        return f"{digits[:area]}-{_group_local(digits[area:])}"
    if 7 <= len(digits) <= 8:
        return _group_local(digits)
    return None


def _group_local(digits: str) -> str:
    return f"{digits[:-4]} {digits[-4:]}"  # 8888 6666 · 888 6666


def phone(value) -> str:
    """A phone number grouped for reading: 138 0013 8000 · 0532-8888 6666 · 010-8888 6666 转 8001.
    A number in no Chinese form is written as typed."""
    if value in (None, ""):
        return ""
    parts = _phone_parts(value)
    grouped = _group_national(parts[1]) if parts else None
    if grouped is None:
        return str(value).strip()
    prefix, national, extension = parts
    if prefix:
        grouped = f"{prefix} {grouped[1:] if national.startswith('0') else grouped}"
    if extension:
        grouped += " " + pgettext("phone extension", "ext.") + " " + extension
    return grouped


def tel(value) -> str:
    """The number for a `tel:` link: digits only (a leading + for a country code, a pause before an extension)."""
    if value in (None, ""):
        return ""
    parts = _phone_parts(value)
    if parts is None:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        return ("+" if text.startswith("+") else "") + re.sub(r"\D", "", text)
    prefix, national, extension = parts
    digits = prefix + (national[1:] if prefix and national.startswith("0") else national)
    return digits + ("," + extension if extension else "")
