"""The signature receivers check: HMAC-SHA256 of "<t>.<body>", with the time inside what is signed."""

import hashlib
import hmac

from crm.webhooks.signing import signature_header, verify

SECRET = "whsec_test"
BODY = '{"event":"customer.registered","data":{"name":"青岛杰航"}}'.encode()


def test_the_header_is_the_documented_hmac():
    header = signature_header(SECRET, BODY, timestamp=1_800_000_000)
    expected = hmac.new(SECRET.encode(), b"1800000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1800000000,v1={expected}"


def test_a_signed_body_verifies():
    assert verify(SECRET, signature_header(SECRET, BODY), BODY)


def test_a_changed_body_a_wrong_secret_or_a_moved_time_do_not():
    header = signature_header(SECRET, BODY, timestamp=1_800_000_000)
    assert not verify(SECRET, header, BODY + b" ", now=1_800_000_000)
    assert not verify("whsec_other", header, BODY, now=1_800_000_000)
    replayed = header.replace("t=1800000000", "t=1800000100")  # a fresh time on an old signature
    assert not verify(SECRET, replayed, BODY, now=1_800_000_100)


def test_an_old_signature_is_refused_after_the_tolerance():
    header = signature_header(SECRET, BODY, timestamp=1_800_000_000)
    assert verify(SECRET, header, BODY, now=1_800_000_299)
    assert not verify(SECRET, header, BODY, now=1_800_000_301)


def test_malformed_headers_are_refused():
    for header in ("", "t=abc,v1=00", "v1=00", "t=1800000000", "garbage"):
        assert not verify(SECRET, header, BODY, now=1_800_000_000)
