"""The follow-up board's one table: which weekly digests went out."""

from django.conf import settings
from django.db import models


class WeeklyDigest(models.Model):
    """One board digest per manager or admin per ISO week, claimed under a row lock before it is sent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()  # the Monday of the ISO week
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "claims_weeklydigest"  # created by the claims app before the board was an app of its own
        ordering = ["-week", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="one_board_digest_per_user_and_week")]

    def __str__(self):
        return f"{self.user} · {self.week}"
