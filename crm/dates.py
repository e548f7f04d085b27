"""The oldest day a date typed into the CRM may name.

Year 1 parses as a date, but a moment on its first hours in China is in year 0 in UTC: SQLite cannot
store it (OverflowError) and PostgreSQL stores a BC timestamp that Python cannot read back, so every
page showing the record fails. No record of this business is that old.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .formatting import full_date

EARLIEST_DAY = datetime.date(1900, 1, 1)


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day`, in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def validate_plausible_day(value):
    """For date and datetime fields: not before EARLIEST_DAY."""
    day = value.date() if isinstance(value, datetime.datetime) else value
    if day is not None and day < EARLIEST_DAY:
        raise ValidationError(
            _("Give a date after %(day)s."), code="too_early", params={"day": full_date(EARLIEST_DAY)}
        )


def validate_plausible_range(value):
    """For django-filter's date ranges, which arrive as a slice of datetimes."""
    for end in (value.start, value.stop):
        validate_plausible_day(end)
