"""Personal API tokens (`Authorization: Bearer crm_…`), made on the profile page (accounts.tokens)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.models import ApiToken
from accounts.permissions import is_current
from accounts.tokens import token_for_key


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        words = authentication.get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword.lower().encode():
            return None  # no token: the session may answer
        if len(words) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as “Authorization: Bearer <key>”."))
        try:
            key = words[1].decode("ascii")
        except UnicodeDecodeError:
            key = ""
        token = token_for_key(key)
        if token is None or not is_current(token.user):
            raise exceptions.AuthenticationFailed(_("This token is unknown, revoked or expired."))
        now = timezone.now()
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    """The browser's session, with Django's CSRF check on every unsafe method (DRF's own SessionAuthentication)."""
