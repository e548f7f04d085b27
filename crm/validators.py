"""Validation of the Chinese unified social credit code (统一社会信用代码, GB 32100-2015)."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_LENGTH = 18
# The standard leaves out I, O, S, V and Z so they cannot be misread as 1, 0, 5, U and 2.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def clean_credit_code(value: str) -> str:
    """Return the code as it is stored: upper case, without spaces, full-width characters made half-width."""
    # Codes pasted from Chinese documents often come in full-width characters or grouped with spaces.
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def credit_code_check_character(first_17: str) -> str:
    """Return the 18th (check) character for the first 17 characters of a cleaned code."""
    weighted_sum = sum(
        CREDIT_CODE_ALPHABET.index(character) * weight
        for character, weight in zip(first_17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - weighted_sum % 31) % 31]


def _invalid_characters(code: str) -> list[str]:
    return sorted({character for character in code if character not in CREDIT_CODE_ALPHABET})


def credit_code_is_valid(code: str) -> bool:
    code = clean_credit_code(code)
    return (
        len(code) == CREDIT_CODE_LENGTH
        and not _invalid_characters(code)
        and credit_code_check_character(code[:-1]) == code[-1]
    )


def validate_credit_code(value: str) -> None:
    """Django validator: check length, alphabet and check character of a unified social credit code."""
    code = clean_credit_code(value)
    if len(code) != CREDIT_CODE_LENGTH:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)s."),
            code="credit_code_length",
            params={"count": len(code)},
        )
    invalid_characters = _invalid_characters(code)
    if invalid_characters:
        raise ValidationError(
            _(
                "A unified social credit code contains only digits and the capital letters A to Y "
                "except I, O, S, V and Z; this one contains %(characters)s."
            ),
            code="credit_code_characters",
            params={"characters": ", ".join(invalid_characters)},
        )
    expected = credit_code_check_character(code[:-1])
    if code[-1] != expected:
        raise ValidationError(
            _("The check digit of this credit code is wrong: expected %(expected)s."),
            code="credit_code_check_digit",
            params={"expected": expected},
        )
