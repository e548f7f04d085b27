"""The one call a record's form makes after saving the record: remove the attachments ticked for removal, keep
the files sent with it, and say what was refused."""

from django.contrib import messages
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Attachment
from .services import Attached, attachment_delete, attachments_add

FIELD = "attachments"  # both inputs of evidence/partials/inputs.html send under this name
REMOVE_FIELD = "remove_attachments"  # the boxes of evidence/partials/list.html


def uploaded_files(request):
    return request.FILES.getlist(FIELD)


def attach_uploads(request, record) -> Attached:
    ticked = [value for value in request.POST.getlist(REMOVE_FIELD) if value.isdigit()]
    for attachment in Attachment.objects.of(record).live().filter(pk__in=ticked):
        attachment_delete(attachment=attachment, actor=request.user)
        messages.success(request, _("“%(name)s” removed.") % {"name": attachment.name})
    files = uploaded_files(request)
    if not files:
        return Attached()
    return report_attached(request, attachments_add(record=record, actor=request.user, files=files))


def report_attached(request, result: Attached) -> Attached:
    """Tell the user what was kept and what was refused, and why."""
    if result.saved:
        count = len(result.saved)
        attached = ngettext("%(count)s file attached.", "%(count)s files attached.", count)
        messages.success(request, attached % {"count": count})
    for refusal in result.refused:
        messages.warning(request, refusal)
    return result
