"""Attachments are never at a public address: each download asks whether the user may see the record."""

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from .models import Attachment

# Even if a browser were talked into rendering a download, it runs nothing and loads nothing.
SANDBOX = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def _visible(request, pk):
    """Only what we store to serve: a photo waiting for the worker (its original still has its EXIF) is not."""
    return get_object_or_404(Attachment.objects.live().ready().visible_to(request.user), pk=pk)


def _serve(attachment, stored, *, inline):
    """Stream a stored file, or (production behind nginx or Apache) hand the sending to the web server."""
    mode = settings.EVIDENCE_SERVE
    if mode == "django":
        response = FileResponse(stored.open("rb"), content_type=attachment.mime_type)
    else:
        response = HttpResponse(content_type=attachment.mime_type)
        if mode == "x-accel-redirect":
            response["X-Accel-Redirect"] = settings.EVIDENCE_ACCEL_PREFIX.rstrip("/") + "/" + stored.name
        else:
            response["X-Sendfile"] = stored.path
    response["Content-Disposition"] = content_disposition_header(not inline, attachment.name)
    response["Content-Security-Policy"] = SANDBOX
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def attachment_file(request, pk):
    """Our re-encoded pictures open in the browser; any other file only downloads."""
    attachment = _visible(request, pk)
    return _serve(attachment, attachment.file, inline=attachment.is_image)


@require_GET
def attachment_thumbnail(request, pk):
    attachment = _visible(request, pk)
    if not attachment.is_image:
        raise Http404
    return _serve(attachment, attachment.thumbnail, inline=True)
