"""The oldest day a date typed into the CRM may name.

Year 1 parses as a date, but a moment on its first hours in China is in year 0 in UTC: SQLite cannot
store it (OverflowError) and PostgreSQL stores a BC timestamp that Python cannot read back, so every
page showing the record fails. No record of this business is that old.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

EARLIEST_DAY = datetime.date(1900, 1, 1)


def validate_plausible_day(value):
    """For date and datetime fields: not before EARLIEST_DAY."""
    day = value.date() if isinstance(value, datetime.datetime) else value
    if day is not None and day < EARLIEST_DAY:
        raise ValidationError(
            _("Give a date after %(day)s."), code="too_early", params={"day": date_format(EARLIEST_DAY, "Y-m-d")}
        )


def validate_plausible_range(value):
    """For django-filter's date ranges, which arrive as a slice of datetimes."""
    for end in (value.start, value.stop):
        validate_plausible_day(end)


def days_since(moment: datetime.datetime, today: datetime.date | None = None) -> int:
    """Local calendar days from `moment` to today: opened at 23:50, it is one day old at 00:10."""
    return ((today or timezone.localdate()) - timezone.localdate(moment)).days


def age_text(days: int) -> str:
    """How old something is, in words: "today", "yesterday", "3 days ago"."""
    if days <= 0:
        return gettext("today")
    if days == 1:
        return gettext("yesterday")
    return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}
