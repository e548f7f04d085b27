"""The follow-up board's one table: which weekly digests went out.

Kept apart from claims/models.py, which imports this module at its end so that
Django registers the model with the claims app.
"""

from django.conf import settings
from django.db import models


class WeeklyDigest(models.Model):
    """One board digest per manager or admin per ISO week, claimed under a row lock before it is sent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()  # the Monday of the ISO week
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="one_board_digest_per_user_and_week")]

    def __str__(self):
        return f"{self.user} · {self.week}"
