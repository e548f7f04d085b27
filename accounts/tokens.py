"""Personal API keys: how one is made, what is stored of it, and how a presented key finds its token.

A key reads `crm_<prefix>_<secret>`: the prefix (stored as is) finds the row, the SHA-256 of the whole key (the
only other thing stored) proves it. The secret is 256 random bits, so a fast hash is enough: there is nothing
to guess that a slow one would protect.
"""

import hashlib
import hmac
import secrets

from .models import ApiToken

KEY_START = "crm_"


def new_key() -> tuple[str, str]:
    """(prefix, key) for a new token: the key is shown once and never stored."""
    prefix = secrets.token_hex(ApiToken.PREFIX_LENGTH // 2)
    return prefix, f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_for_key(key: str) -> ApiToken | None:
    """The usable token `key` opens, with its user loaded, or None (unknown, wrong, revoked or expired)."""
    if not key.startswith(KEY_START) or len(key) > 100:
        return None
    prefix = key[len(KEY_START) : len(KEY_START) + ApiToken.PREFIX_LENGTH]
    token = ApiToken.objects.usable().select_related("user__team").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, key_hash(key)):
        return None
    return token
