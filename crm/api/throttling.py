"""Rate limits per token (per user for the browser's session), counted in the `api` cache: Redis when REDIS_URL
is set, so that every web worker counts together; a worker's memory otherwise."""

import logging

from django.conf import settings
from django.core.cache import caches
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken

logger = logging.getLogger(__name__)


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api"

    def __init__(self):
        self.cache = caches["api"]
        super().__init__()

    def get_rate(self):
        return settings.API_RATE

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except RedisError:
            # Redis down: the API keeps answering, as the pages do, only without its rate limit meanwhile.
            logger.warning("API rate limit not counted: Redis is unreachable")
            return True
