from . import audit


class AuditRequestMiddleware:
    """Every audit entry written while a request is served records its client's address, also those written by
    services that are not given the request (ownership changes, grade overrides, imports run at once)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit.serving(request):
            return self.get_response(request)
