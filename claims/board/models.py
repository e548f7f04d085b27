"""The follow-up board's tables: which weekly digests went out, and the per-rep figures kept between views."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


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


class FollowUpFigures(models.Model):
    """The strip's per-rep figures for one owner and grade, as of `computed_on`: a summary read by the board
    instead of counting every held customer and their visits on each view.

    Kept exact by database triggers (claims/board/migrations/0002) that mark an owner stale whenever a change
    can move their figures (a customer's owner, grade, status, next follow-up or registration; a visit; a
    pause; the grade policy), and by `figures.refresh`, which recounts the stale owners, and every owner once
    a day because the figures are relative to the day."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    grade = models.CharField(max_length=1)
    computed_on = models.DateField()
    held = models.PositiveIntegerField()
    overdue = models.PositiveIntegerField()
    bands = models.JSONField()  # customers in each of services.OVERDUE_BANDS
    # {"<days>:<last day>": [measured, followed up]} for each distinct compliance period of `computed_on`
    periods = models.JSONField()

    class Meta:
        db_table = "board_followupfigures"
        constraints = [models.UniqueConstraint(fields=["owner", "grade"], name="one_figures_row_per_owner_grade")]

    def __str__(self):
        return f"{self.owner_id} · {self.grade} · {self.computed_on}"


class StaleOwner(models.Model):
    """An owner whose FollowUpFigures a change has made out of date; written by the triggers only, removed by the
    recount that brings them up to date (several rows for one owner are normal: a mark per changing statement)."""

    owner_id = models.BigIntegerField(db_index=True)  # no foreign key: a trigger writes it for any user id
    marked_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "board_staleowner"

    def __str__(self):
        return str(self.owner_id)


class VisitDay(models.Model):
    """How many visits a person logged on a local day by a method: the board's method chart reads these (a few
    rows per rep and day) instead of every visit. Kept by triggers on the visits table (board triggers.py)."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()  # the visit's start, in the team's time zone
    method = models.CharField(max_length=20)
    n = models.IntegerField()

    class Meta:
        db_table = "board_visitday"
        constraints = [models.UniqueConstraint(fields=["author", "day", "method"], name="one_visitday_per_key")]

    def __str__(self):
        return f"{self.author_id} · {self.day} · {self.method}: {self.n}"


class PoolFlow(models.IntegerChoices):
    """What an ownership event did to the pool, as the board's pool chart counts it (services.pool_flow)."""

    INTO = 1  # lapsed, released, or a departure, decision or registration that left the customer in the pool
    CLAIMED = 2
    REGISTERED = 3  # registered to a rep


class PoolWeek(models.Model):
    """Ownership events per person, ISO week and pool flow: the pool chart reads these instead of every event of
    its weeks. Kept by a trigger on the (append-only) ownership history (board triggers.py)."""

    # who the flow is counted for: the rep who let it go into the pool, or who took it; 0 for none
    user_id = models.BigIntegerField()
    week = models.DateField()  # the Monday, in the team's time zone
    flow = models.PositiveSmallIntegerField(choices=PoolFlow.choices)
    n = models.IntegerField()

    class Meta:
        db_table = "board_poolweek"
        constraints = [models.UniqueConstraint(fields=["user_id", "week", "flow"], name="one_poolweek_per_key")]

    def __str__(self):
        return f"{self.user_id} · {self.week} · {self.flow}: {self.n}"
