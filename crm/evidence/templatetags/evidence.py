import base64

from django import template
from django.conf import settings

register = template.Library()


def live_attachments(record):
    """The record's attachments not deleted; reads a `prefetch_related("attachments")` when the page made one."""
    return [attachment for attachment in record.attachments.all() if attachment.deleted_at is None]


@register.inclusion_tag("evidence/partials/inputs.html")
def attachment_inputs():
    """The two ways to add files on a phone: the camera at once, or the chooser (gallery, files, camera)."""
    return {"max_file_mb": settings.EVIDENCE_MAX_FILE_MB, "max_files": settings.EVIDENCE_MAX_FILES_PER_RECORD}


@register.inclusion_tag("evidence/partials/list.html")
def attachment_list(record, editable=False, heading=False):
    """Thumbnails of a record's photos and links to its documents; when `editable` (inside
    the record's form), a "remove" box on each, applied when the record is saved."""
    attachments = live_attachments(record)
    return {
        "photos": [a for a in attachments if a.is_image and a.is_ready],
        # Photos the worker has not re-encoded yet (a placeholder, nothing served), or could not read.
        "waiting": [a for a in attachments if a.is_image and not a.is_ready],
        "documents": [a for a in attachments if not a.is_image],
        "editable": editable,
        "heading": heading,
    }


@register.inclusion_tag("evidence/partials/pdf.html")
def attachment_pdf(record):
    """A record's photos for its printed record, embedded (a PDF fetches nothing) and scaled to the page."""
    attachments = live_attachments(record)
    photos = []
    for attachment in attachments:
        if attachment.is_image and attachment.is_ready:
            with attachment.file.open("rb") as stored:
                encoded = base64.b64encode(stored.read()).decode()
            photos.append((attachment, f"data:{attachment.mime_type};base64,{encoded}"))
    return {"photos": photos, "documents": [a for a in attachments if not a.is_image]}


@register.filter
def photo_count(record):
    return sum(1 for attachment in live_attachments(record) if attachment.is_image)
