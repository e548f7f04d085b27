"""Who may import customers from a spreadsheet. Seeing an import is `ImportJob.objects.visible_to(user)`."""

from claims.permissions import can_register_for_others


def can_import(user) -> bool:
    """Managers and admins: an import names owners, as a transfer does."""
    return can_register_for_others(user)


def can_act_on_import(user, job) -> bool:
    """Only who uploaded a file confirms, resumes or discards its import; an admin may look, not act."""
    return can_import(user) and job.created_by_id == user.pk


def can_discard_import(user, job) -> bool:
    """Until its import has started."""
    return can_act_on_import(user, job) and job.may_discard
