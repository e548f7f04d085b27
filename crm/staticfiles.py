"""What collectstatic collects (settings.STATICFILES_FINDERS)."""

from django.contrib.staticfiles import finders


class AppDirectoriesFinder(finders.AppDirectoriesFinder):
    """The apps' static files without ReDoc (5 MB with its source map; drf-spectacular-sidecar ships it, the API's
    docs are Swagger UI): compressing it was 40% of a deploy's collectstatic. Only the listing that collectstatic
    reads leaves it out; `django.contrib.staticfiles` stays installed as itself, which the live server of the
    browser tests looks for by name."""

    def list(self, ignore_patterns):
        return super().list([*(ignore_patterns or []), "redoc"])
