"""Validation of the Chinese unified social credit code (统一社会信用代码, GB 32100-2015).

The 18 characters are five parts, each checked here: 1 the registration authority, 2 the kind of
organization it registers, 3–8 the region (GB/T 2260, digits), 9–17 the organization code (GB 11714:
eight characters and their own check character), 18 the check character of the whole code.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_LENGTH = 18
# The standard leaves out I, O, S, V and Z so they cannot be misread as 1, 0, 5, U and 2.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registration authority (1st character) -> the kinds of organization it registers (2nd character), from the
# standard's table with the authorities added since: 1 staffing offices, 2 foreign affairs, 3 justice, 4 culture,
# 5 civil affairs, 6 tourism, 7 religion, 8 trade unions, 9 market regulation (1 companies, 2 sole traders,
# 3 farmers' cooperatives), A the military's staffing office, N agriculture, Y others (always 1).
CREDIT_CODE_ENTITY_TYPES = {
    "1": "1239",
    "2": "19",
    "3": "123459",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "1239",
    "Y": "1",
}
ORGANIZATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


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


def organization_code_check_character(body: str) -> str:
    """Return the 9th (check) character of a GB 11714 organization code for its first 8 characters."""
    # Digits count as themselves, letters from A = 10 on.
    weighted_sum = sum(
        int(character, 36) * weight for character, weight in zip(body, ORGANIZATION_CODE_WEIGHTS, strict=True)
    )
    check = 11 - weighted_sum % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code_complete(first_16: str) -> str:
    """The whole code for its first 16 characters: the organization code's check character, then the 18th."""
    first_17 = first_16 + organization_code_check_character(first_16[8:16])
    return first_17 + credit_code_check_character(first_17)


def _invalid_characters(code: str) -> list[str]:
    return sorted({character for character in code if character not in CREDIT_CODE_ALPHABET})


def credit_code_error(value: str) -> ValidationError | None:
    """What is wrong with the code, naming the first wrong part; None when it is valid."""
    code = clean_credit_code(value)
    if len(code) != CREDIT_CODE_LENGTH:
        return ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)s."),
            code="credit_code_length",
            params={"count": len(code)},
        )
    invalid_characters = _invalid_characters(code)
    if invalid_characters:
        return ValidationError(
            _(
                "A unified social credit code contains only digits and the capital letters A to Y "
                "except I, O, S, V and Z; this one contains %(characters)s."
            ),
            code="credit_code_characters",
            params={"characters": ", ".join(invalid_characters)},
        )
    authority, entity_type = code[0], code[1]
    if authority not in CREDIT_CODE_ENTITY_TYPES:
        return ValidationError(
            _(
                "The first character of a credit code is the registration authority (1 to 9, A, N or Y); "
                "“%(found)s” is none of them."
            ),
            code="credit_code_authority",
            params={"found": authority},
        )
    if entity_type not in CREDIT_CODE_ENTITY_TYPES[authority]:
        return ValidationError(
            _(
                "The second character of a credit code is the kind of organization: after registration "
                "authority %(authority)s it is one of %(allowed)s, not “%(found)s”."
            ),
            code="credit_code_entity_type",
            params={
                "authority": authority,
                "allowed": ", ".join(CREDIT_CODE_ENTITY_TYPES[authority]),
                "found": entity_type,
            },  # fmt: skip
        )
    region = code[2:8]
    if not region.isdigit():
        return ValidationError(
            _("Characters 3 to 8 of a credit code are the region code, digits only; this one has “%(found)s”."),
            code="credit_code_region",
            params={"found": region},
        )
    if organization_code_check_character(code[8:16]) != code[16]:
        return ValidationError(
            _(
                "The organization code in this credit code (characters 9 to 17) is wrong: its last character "
                "does not match the eight before it."
            ),
            code="credit_code_organization_code",
        )
    expected = credit_code_check_character(code[:-1])
    if code[-1] != expected:
        return ValidationError(
            _("The check digit of this credit code (the 18th character) is wrong: expected %(expected)s."),
            code="credit_code_check_digit",
            params={"expected": expected},
        )
    return None


def credit_code_is_valid(code: str) -> bool:
    return credit_code_error(code) is None


def validate_credit_code(value: str) -> None:
    """Django validator: check every part of a unified social credit code; the message names the wrong one."""
    error = credit_code_error(value)
    if error is not None:
        raise error
