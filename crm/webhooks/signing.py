"""The signature every delivery carries, and its check (receivers copy `verify`; the README shows it).

`X-CRM-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>`: the time is
signed with the body, so a captured request cannot be replayed later with a fresh time.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-CRM-Signature"
EVENT_HEADER = "X-CRM-Event"
DELIVERY_HEADER = "X-CRM-Delivery"
ATTEMPT_HEADER = "X-CRM-Attempt"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None, tolerance=TOLERANCE_SECONDS) -> bool:
    """Whether `header` signs `body` with `secret`, within `tolerance` seconds of `now`."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), parts.get("v1", ""))
