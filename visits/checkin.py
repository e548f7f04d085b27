"""On-site check-in (外勤签到): what the browser sent when the rep tapped "I'm here", and how far that was."""

import math
from decimal import Decimal

from django import forms
from django.utils import timezone

EARTH_RADIUS_M = 6_371_000
CHECKIN_METHODS = {"onsite", "showroom"}


def distance_m(lat1, lng1, lat2, lng2) -> int:
    """Great-circle distance in metres (haversine): plenty for "on site or not"."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    dphi, dlmb = phi2 - phi1, math.radians(float(lng2) - float(lng1))
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(math.sqrt(a)))


class CheckinForm(forms.Form):
    """The hidden fields static/js/checkin.js fills on the tap. Anything malformed is simply no check-in: a
    position is a fact for the manager, never a reason to refuse the log."""

    checkin_lat = forms.DecimalField(min_value=-90, max_value=90, max_digits=12, decimal_places=8)
    checkin_lng = forms.DecimalField(min_value=-180, max_value=180, max_digits=12, decimal_places=8)
    checkin_accuracy = forms.IntegerField(min_value=0, max_value=1_000_000, required=False)
    checkin_at = forms.DateTimeField()

    def clean_checkin_at(self):
        at = self.cleaned_data["checkin_at"]
        now = timezone.now()
        if not (now - timezone.timedelta(hours=24) <= at <= now + timezone.timedelta(minutes=5)):
            raise forms.ValidationError("not a time of this visit")
        return at

    def position(self):
        """(lat, lng, accuracy, at), rounded to the stored precision, or None."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        quantum = Decimal("0.000001")
        return (
            data["checkin_lat"].quantize(quantum),
            data["checkin_lng"].quantize(quantum),
            data.get("checkin_accuracy"),
            data["checkin_at"],
        )
