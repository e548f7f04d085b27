"""One way to write things (crm/formatting.py): each context, in both languages, through Python and the template
filters; local time either side of Shanghai midnight; and no template or module choosing a format of its own."""

import datetime
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone, translation

from crm import formatting

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 11, 18)
AFTERNOON = datetime.datetime(2026, 11, 18, 16, 0, tzinfo=SHANGHAI)
# 16:30 UTC on the 17th is 00:30 on the 18th in Shanghai: a UTC date would say the 17th.
JUST_AFTER_MIDNIGHT = datetime.datetime(2026, 11, 17, 16, 30, tzinfo=datetime.UTC)
JUST_BEFORE_MIDNIGHT = datetime.datetime(2026, 11, 18, 15, 50, tzinfo=datetime.UTC)  # 23:50 on the 18th
THIS_YEAR = datetime.date(2026, 1, 1)

# (context, filter and function name, value, argument or None, English, Chinese): each is written by the function
# crm.formatting.<name>(value[, argument]) and by the template filter {{ value|<name>[:argument] }}.
CONTEXTS = [
    ("full", "full_date", DAY, None, "18 Nov 2026", "2026年11月18日"),
    ("full-after-midnight", "full_date", JUST_AFTER_MIDNIGHT, None, "18 Nov 2026", "2026年11月18日"),
    ("full-before-midnight", "full_date", JUST_BEFORE_MIDNIGHT, None, "18 Nov 2026", "2026年11月18日"),
    ("short", "short_date", DAY, THIS_YEAR, "18 Nov", "11月18日"),
    ("short-other-year", "short_date", DAY, datetime.date(2027, 1, 2), "18 Nov 2026", "2026年11月18日"),
    ("datetime", "date_time", AFTERNOON, None, "18 Nov 2026 16:00", "2026年11月18日 16:00"),
    ("datetime-after-midnight", "date_time", JUST_AFTER_MIDNIGHT, None, "18 Nov 2026 00:30", "2026年11月18日 00:30"),
    ("datetime-before-midnight", "date_time", JUST_BEFORE_MIDNIGHT, None, "18 Nov 2026 23:50", "2026年11月18日 23:50"),
    ("short-datetime", "short_date_time", AFTERNOON, THIS_YEAR, "18 Nov 16:00", "11月18日 16:00"),
    ("time-range", "time_range", AFTERNOON, AFTERNOON + datetime.timedelta(hours=2),
     "18 Nov 2026 16:00 – 18:00", "2026年11月18日 16:00 – 18:00"),
    ("time-range-overnight", "time_range", AFTERNOON, JUST_AFTER_MIDNIGHT + datetime.timedelta(days=1),
     "18 Nov 2026 16:00 – 19 Nov 2026 00:30", "2026年11月18日 16:00 – 2026年11月19日 00:30"),
    ("iso", "iso_date", JUST_AFTER_MIDNIGHT, None, "2026-11-18", "2026-11-18"),
    ("iso-datetime", "iso_date_time", JUST_AFTER_MIDNIGHT, None, "2026-11-18 00:30", "2026-11-18 00:30"),
    ("overdue", "relative_due", DAY, DAY + datetime.timedelta(days=3), "3 days overdue", "逾期 3 天"),
    ("overdue-one", "relative_due", DAY, DAY + datetime.timedelta(days=1), "1 day overdue", "逾期 1 天"),
    ("due-today", "relative_due", DAY, DAY, "Due today", "今天到期"),
    ("due-ahead", "relative_due", DAY, DAY - datetime.timedelta(days=2), "due in 2 days", "2 天后到期"),
    ("due-moment-after-midnight", "relative_due", JUST_AFTER_MIDNIGHT, DAY, "Due today", "今天到期"),
    ("age", "age", JUST_AFTER_MIDNIGHT, DAY + datetime.timedelta(days=3), "3 days ago", "3 天前"),
    ("age-yesterday", "age", JUST_BEFORE_MIDNIGHT, DAY + datetime.timedelta(days=1), "yesterday", "昨天"),
    ("age-today", "age", JUST_AFTER_MIDNIGHT, DAY, "today", "今天"),
    ("money", "money", 5_600_000, None, "¥5,600,000", "¥5,600,000"),
    ("money-cents", "money", Decimal("12.5"), None, "¥12.50", "¥12.50"),
    ("money-summary", "money_summary", Decimal(3_800_000), None, "¥3.8M", "¥380万"),
    ("money-summary-huge", "money_summary", 123_456_789, None, "¥123.5M", "¥1.2亿"),
    ("money-summary-small", "money_summary", 800, None, "¥800", "¥800"),
    ("percent", "percent", 35, None, "35%", "35%"),
    ("percent-fraction", "percent", Decimal("12.25"), None, "12.3%", "12.3%"),
    ("number", "number", 12345, None, "12,345", "12,345"),
    ("phone-mobile", "phone", "13800138000", None, "138 0013 8000", "138 0013 8000"),
    ("phone-mobile-abroad", "phone", "+86 13800138000", None, "+86 138 0013 8000", "+86 138 0013 8000"),
    ("phone-landline", "phone", "0532-88886666", None, "0532-8888 6666", "0532-8888 6666"),
    ("phone-short-landline", "phone", "0571 888 8666", None, "0571-888 8666", "0571-888 8666"),
    ("phone-extension", "phone", "010 8888 6666 转 8001", None, "010-8888 6666 ext. 8001", "010-8888 6666 转 8001"),
    ("phone-foreign", "phone", "+49 30 1234567", None, "+49 30 1234567", "+49 30 1234567"),
    ("tel", "tel", "+86 138 0013 8000", None, "+8613800138000", "+8613800138000"),
    ("tel-landline", "tel", "0532-8888 6666", None, "053288886666", "053288886666"),
    ("tel-extension", "tel", "010 8888 6666 转 8001", None, "01088886666,8001", "01088886666,8001"),
    ("tel-foreign", "tel", "+49 30 1234567", None, "+49301234567", "+49301234567"),
]  # fmt: skip
LANGUAGES = ("en", "zh-hans")
IDS = [row[0] for row in CONTEXTS]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("context", "name", "value", "argument", "english", "chinese"), CONTEXTS, ids=IDS)
def test_each_context_in_python(language, context, name, value, argument, english, chinese):
    function = getattr(formatting, name)
    with translation.override(language):
        written = function(value) if argument is None else function(value, argument)
    assert written == (english if language == "en" else chinese)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("context", "name", "value", "argument", "english", "chinese"), CONTEXTS, ids=IDS)
def test_each_context_through_the_template_filters(language, context, name, value, argument, english, chinese):
    expression = f"{{{{ value|{name} }}}}" if argument is None else f"{{{{ value|{name}:argument }}}}"
    with translation.override(language):
        rendered = Template("{% load formatting %}" + expression).render(
            Context({"value": value, "argument": argument})
        )
    assert rendered == (english if language == "en" else chinese)


@pytest.mark.parametrize("name", ["full_date", "short_date", "date_time", "short_date_time", "relative_due", "age",
                                  "money", "money_summary", "percent", "number", "phone", "tel"])  # fmt: skip
def test_nothing_is_written_as_nothing_so_default_can_mark_it(name):
    rendered = Template(f"{{% load formatting %}}{{{{ value|{name}|default:'—' }}}}").render(Context({"value": None}))
    assert rendered == "—"


@pytest.mark.clock
def test_relative_words_count_local_days_on_the_real_clock():
    """At 23:30 and at 00:30 Shanghai time (UTC is on another date at one of them), "today" is the local day."""
    today = timezone.localdate()
    moment = timezone.now()
    assert formatting.relative_due(today) == "Due today"
    assert formatting.relative_due(moment) == "Due today"
    assert formatting.relative_due(today - datetime.timedelta(days=2)) == "2 days overdue"
    assert formatting.age(moment) == "today"
    assert formatting.full_date(moment) == formatting.full_date(today)
    assert Template("{% load formatting %}{{ d|relative_due }}").render(Context({"d": today})) == "Due today"


def test_the_pdf_print_stamp_is_local():
    with translation.override("zh-hans"):
        stamp = Template("{% load formatting %}{% now_date_time %}").render(Context())
        today = formatting.full_date(timezone.localdate())
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", stamp) and stamp.startswith(today)


def test_phone_numbers_splits_a_phones_field():
    assert formatting.phone_numbers("13800138000, 0532-88886666；010 8888 6666") == [
        "13800138000",
        "0532-88886666",
        "010 8888 6666",
    ]
    assert formatting.phone_numbers("") == [] and formatting.phone_numbers(None) == []


# --- nothing chooses a format of its own ---------------------------------------------------------------------------

ROOT = Path(settings.BASE_DIR)
RAW_TEMPLATE_FORMATS = re.compile(
    r"""\|\s*(?:date|time)\s*:|\|\s*(?:intcomma|floatformat|naturalday|naturaltime)\b|\{%\s*now\s+["']"""
    r"""|¥\s*\{\{|\}\}\s*%|[%]\s*\{%\s*endif"""
)
RAW_PYTHON_FORMATS = re.compile(r"""strftime\(|date_format\(|\{[^{}]*:%[YmdHMS]|f"\{[^}]*:,|intcomma\(""")
PYTHON_ALLOWED = {
    # The one module that chooses formats.
    "crm/formatting.py",
    # accounts sits below crm (import-linter): its audit row's label is for the admin, not a reader.
    "accounts/models.py",
    # Dictionary keys and field names, never shown: the board's chart weeks, a sales target's period.
    "claims/board/counting.py",
    "crm/deals/models.py",
}
PYTHON_ALLOWED_FOLDERS = ("management/commands/",)  # operators' console output and JSON reports, in English
APP_PACKAGES = ("accounts", "claims", "crm", "visits")


def test_no_template_formats_a_date_money_or_percentage_itself():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*")):
        relative = path.relative_to(ROOT).as_posix()
        if not path.is_file() or path.suffix not in {".html", ".txt", ".xml"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if RAW_TEMPLATE_FORMATS.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()[:160]}")
    assert offenders == [], "write dates, amounts and percentages with {% load formatting %}:\n" + "\n".join(offenders)


def test_no_module_formats_a_date_or_an_amount_itself():
    offenders = []
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if (
                relative in PYTHON_ALLOWED
                or "/migrations/" in relative
                or any(f in relative for f in PYTHON_ALLOWED_FOLDERS)
            ):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if RAW_PYTHON_FORMATS.search(line):
                    offenders.append(f"{relative}:{number}: {line.strip()[:160]}")
    assert offenders == [], "use crm.formatting:\n" + "\n".join(offenders)


def test_the_grep_would_catch_each_raw_form():
    for line in [
        '{{ x|date:"Y-m-d" }}',
        "{{ x|date:'m-d' }}",
        '{{ x|time:"H:i" }}',
        "{{ x|intcomma }}",
        "{{ x|floatformat:2 }}",
        '{% now "Y-m-d" %}',
        "¥{{ x }}",
        "{{ share }}%",
    ]:
        assert RAW_TEMPLATE_FORMATS.search(line), line
    assert not RAW_TEMPLATE_FORMATS.search(
        "{{ x|date_time }} {{ x|short_date }} {% blocktranslate %}{{ a }} %{% endblocktranslate %}".replace(" %{", " {")
    )


def test_a_value_that_is_no_date_is_written_as_nothing():
    assert formatting.full_date("2026-11-18") == "" and formatting.date_time(42) == ""


def test_the_daily_email_says_how_late_rather_than_a_date():
    """Emails read urgency in the same words as the board's cards."""
    customer = SimpleNamespace(grade="A", name="青岛杰航机械有限公司")
    late = SimpleNamespace(
        customer=customer, get_kind_display="Follow-up", due_on=DAY - datetime.timedelta(days=3), note="", log_url="/x/"
    )
    context = {"user": "Wang", "today": DAY, "overdue": [late], "due_today": [], "escalations": [], "day_url": "/day/"}
    with translation.override("en"):
        assert "· 3 days overdue" in render_to_string("visits/email/digest.txt", context)
    with translation.override("zh-hans"):
        assert "· 逾期 3 天" in render_to_string("visits/email/digest.txt", context)
