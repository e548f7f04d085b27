"""The schema's shared parts: the problem body every error has, on every operation (drf-spectacular hook)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .errors import PROBLEM

# The errors any operation may answer; 409 only where an operation declares it (a rule's refusal). The schema is
# written for programmers, in English: its words are not translated (the errors' `detail` is).
COMMON_ERRORS = {
    "400": "The request is not valid: `errors` names each field.",
    "401": "Neither a session nor a usable token.",
    "403": "Not allowed (a read-only token writing, or a role the action needs).",
    "404": "Not found, or outside what the caller may see.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "415": "Unsupported media type.",
    "429": "Too many requests: wait for Retry-After seconds.",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "crm.api.authentication.ApiTokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal API token (profile page)."}


def add_problem_responses(result, generator, request, public):
    """Every operation documents the problem body for every error it may answer, and the ids its path takes."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "code": {"type": "string"},
            "detail": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        },
        "required": ["type", "title", "status", "code", "detail"],
        "additionalProperties": True,
    }
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                    # What the URL's int converter routes, and a database id can be.
                    parameter["schema"].update(minimum=0, maximum=2**63 - 1)
            responses = operation.setdefault("responses", {})
            for status_code, description in COMMON_ERRORS.items():
                responses.setdefault(
                    status_code, {"description": description, "content": {PROBLEM: {"schema": PROBLEM_REF}}}
                )
            for status_code, response in responses.items():
                if status_code.startswith(("4", "5")) and "content" not in response:
                    response["content"] = {PROBLEM: {"schema": PROBLEM_REF}}
    return result


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "crm.api.authentication.CsrfSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The browser's session; unsafe methods also need the X-CSRFToken header.",
        }
