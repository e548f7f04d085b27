from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobHeartbeat(models.Model):
    """When each scheduled job last ran, so admins can see the worker is alive."""

    name = models.CharField(_("job"), max_length=100, unique=True)
    last_run_at = models.DateTimeField(_("last run at"))
    runs = models.PositiveIntegerField(_("runs"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("job heartbeat")
        verbose_name_plural = _("job heartbeats")

    def __str__(self):
        return self.name

    @classmethod
    def beat(cls, name):
        """Record one run of job `name`; safe when two workers run it at once."""
        now = timezone.now()
        obj, created = cls.objects.get_or_create(name=name, defaults={"last_run_at": now, "runs": 1})
        if not created:
            cls.objects.filter(pk=obj.pk).update(last_run_at=now, runs=models.F("runs") + 1)
