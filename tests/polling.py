"""Waiting from Python for something another process or the browser does (the CSP forbids Playwright's
wait_for_function, which evaluates strings; servers and workers answer when they are ready)."""

import time


def wait_for(predicate, timeout=60, interval=0.1):
    """Poll `predicate` until it returns something true (returned) or `timeout` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() >= deadline:
            return result or None
        time.sleep(interval)


def wait_until(check, *, seconds=8, step=0.1):
    """As wait_for, failing the test when `check` is not true within `seconds`."""
    result = wait_for(check, timeout=seconds, interval=step)
    if not result:
        raise AssertionError(f"not true within {seconds}s: {check}")
    return result
