"""Probes for the real services the integration tests use."""

import os

import redis


def redis_url():
    return os.environ.get("REDIS_URL", "")


def redis_available():
    url = redis_url()
    if not url:
        return False
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
