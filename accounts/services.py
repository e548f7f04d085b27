"""Personal API tokens: made and revoked here, each in the audit log with its maker or revoker."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .models import ApiToken, AuditAction, User
from .permissions import can_create_api_token, can_revoke_api_token
from .tokens import key_hash, new_key

MAX_VALIDITY = datetime.timedelta(days=5 * 365)


@transaction.atomic
def api_token_create(
    *, actor: User, name: str, read_only: bool = False, expires_on: datetime.date | None = None
) -> tuple[ApiToken, str]:
    """A token for `actor` themselves: (the token, its key). The key is for the caller to show once."""
    if not can_create_api_token(actor):
        raise PermissionDenied
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Name the token after what will use it.")})
    today = timezone.localdate()
    if expires_on is not None and not today < expires_on <= today + MAX_VALIDITY:
        raise ValidationError({"expires_on": _("Choose a day after today and within five years.")})
    prefix, key = new_key()
    # Valid through the day chosen, in local time: it stops working at the next midnight.
    expires_at = (
        timezone.make_aware(datetime.datetime.combine(expires_on + datetime.timedelta(days=1), datetime.time.min))
        if expires_on
        else None
    )
    token = ApiToken(
        user=actor, name=name, prefix=prefix, key_hash=key_hash(key), read_only=read_only, expires_at=expires_at
    )
    token.full_clean()
    token.save()
    audit.record(
        AuditAction.API_TOKEN_CREATED,
        actor=actor,
        subject=token,
        summary=f"{token.name} ({token.prefix}…){' · read only' if read_only else ''}",
        detail={"prefix": prefix, "read_only": read_only, "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """The token stops working at once; revoking it again changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not can_revoke_api_token(actor, token):
        raise PermissionDenied
    if token.revoked_at is not None:
        return token
    token.revoked_at, token.revoked_by = timezone.now(), actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        AuditAction.API_TOKEN_REVOKED,
        actor=actor,
        subject=token,
        summary=f"{token.name} ({token.prefix}…) of {token.user.get_username()}",
        detail={"prefix": token.prefix, "user": token.user_id},
    )
    return token
