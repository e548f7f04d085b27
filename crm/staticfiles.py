"""django.contrib.staticfiles as installed (settings.INSTALLED_APPS), with what collectstatic leaves out."""

from django.contrib.staticfiles.apps import StaticFilesConfig


class CollectedStaticFiles(StaticFilesConfig):
    """collectstatic without ReDoc (5 MB with its source map; the sidecar ships it, the API's docs are Swagger UI):
    compressing it was 40% of a deploy's collectstatic."""

    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "redoc"]
