"""Reasons the system writes into history rows and notifications: stored as a code with parameters, worded
in the reader's language when shown.

A sentence stored at write time stays in the language of whoever happened to trigger it (or English, for the
scheduled jobs); a code reads in each reader's. What a person typed is kept as it was typed, beside the code.

Each row with a reason has `reason_code`, `reason_params` (JSON) and its free-text field; `show()` words
them. Rows written before the codes existed hold the sentence itself, in English or Chinese: `show()` and
the data migrations recognise those sentences (`legacy_reason`), so old rows read in the reader's
language too without being rewritten (the ownership history refuses UPDATE).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext


@dataclass(frozen=True)
class Reason:
    code: str
    # A lazy message with %(name)s placeholders filled from the params, or a function of the params.
    wording: object
    # For a wording that is a function: (text) -> (params, rest of the text) when the text is this reason
    # written out in the active language, else None.
    parse: Callable | None = None

    def words(self, params: dict) -> str:
        if callable(self.wording):
            return str(self.wording(params))
        return str(self.wording) % params if params else str(self.wording)


REASONS: dict[str, Reason] = {}


@cache
def _patterns(language: str) -> list[tuple[str, re.Pattern | None]]:
    """Each reason's words in `language` (active when called) as a pattern capturing its parameters."""
    patterns = []
    for code, reason in REASONS.items():
        if callable(reason.wording):
            patterns.append((code, None))
            continue
        words = str(reason.wording)
        pieces = re.split(r"%\((\w+)\)s", words)
        regex = "".join(
            re.escape(piece) if index % 2 == 0 else f"(?P<{piece}>.+?)" for index, piece in enumerate(pieces)
        )
        patterns.append((code, re.compile(regex, re.DOTALL)))
    return patterns


def register(code: str, wording, *, parse=None) -> str:
    REASONS[code] = Reason(code, wording, parse)
    _patterns.cache_clear()
    return code


GRADE_REGISTERED = register("grade_registered", _("Suggested at registration from purchases and flags."))
GRADE_FACTS_CHANGED = register("grade_facts_changed", _("Suggested from the changed purchases and flags."))
GRADE_BACK_TO_SUGGESTED = register("grade_back_to_suggested", _("Back to the suggested grade."))
GRADE_IMPORTED = register("grade_imported", _("Grade as given in the imported file %(file)s."))
IMPORTED = register("imported", _("Imported from %(file)s, row %(row)s."))
IMPORTED_FOR_YOU = register("imported_for_you", _("%(count)s customers imported for you from %(file)s by %(actor)s."))
REFERRAL_OWNED = register("referral_owned", _("Referred by %(referrer)s, whose rep is %(rep)s."))
REFERRAL_NOTED = register(
    "referral_noted", _("Referred by %(referrer)s (noted only: the introducer did not come along).")
)
DEPARTED = register("departed", _("%(name)s left the company."))


class SystemReasonFields(models.Model):
    """The code and parameters of a reason the system wrote; the row's text field keeps what a person wrote."""

    # Defaults in the database too: the set-based jobs INSERT ... SELECT rows without naming these columns.
    reason_code = models.CharField(max_length=40, blank=True, default="", db_default="", editable=False)
    reason_params = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


def show(code: str, params: dict | None, text: str) -> str:
    """The reason in the active language: the system's words for the code, then what a person wrote."""
    reason = REASONS.get(code)
    if reason is None:
        found = legacy_reason(text)
        if found is None:
            return text
        code, params, text = found
        reason = REASONS[code]
    words = reason.words(params or {})
    if not text:
        return words
    return pgettext("a system reason followed by what a person wrote", "%(reason)s: %(text)s") % {
        "reason": words,
        "text": text,
    }


def legacy_reason(text: str) -> tuple[str, dict, str] | None:
    """(code, params, rest) when `text` is a system reason written out in one of the site's languages."""
    text = (text or "").strip()
    if not text:
        return None
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, pattern in _patterns(language):
                reason = REASONS[code]
                if pattern is None:
                    found = reason.parse(text)
                    if found is not None:
                        return code, found[0], found[1]
                    continue
                match = pattern.fullmatch(text)
                if match:
                    return code, match.groupdict(), ""
    return None
