import pytest
from django.core.exceptions import ValidationError

from crm.validators import (
    clean_credit_code,
    credit_code_check_character,
    credit_code_complete,
    credit_code_is_valid,
    organization_code_check_character,
    validate_credit_code,
)

# Codes of registered companies, taken from public records rather than produced by the code under test.
PUBLISHED_CODES = [
    "91350100M000100Y43",
    "91110000600037341L",
    "9144030071526726XG",
    "914403001922038216",
    "91330100716105852F",
    "91110108551385082Q",
    "91440300708461136T",
    "92371000MA3MXH0E3W",  # a sole trader (个体工商户): authority 9, kind 2
    "91230184MA1BUFLT44",
]
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def weighted_sum(first_17):
    return sum(ALPHABET.index(character) * weight for character, weight in zip(first_17, WEIGHTS, strict=True))


def raised_error(value):
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(value)
    return caught.value


@pytest.mark.parametrize("code", PUBLISHED_CODES)
def test_published_codes_are_valid(code):
    assert credit_code_is_valid(code)
    validate_credit_code(code)


@pytest.mark.parametrize("code", PUBLISHED_CODES)
def test_check_character_is_computed_from_the_first_17(code):
    assert credit_code_check_character(code[:17]) == code[17]


def test_a_weighted_sum_divisible_by_31_gives_check_character_0():
    first_17 = "91370200000000123"
    assert weighted_sum(first_17) % 31 == 0
    assert credit_code_check_character(first_17) == "0"
    assert credit_code_is_valid(first_17 + "0")


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135 0100 M000 100Y43 ", "91350100M000100Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),
        ("91110000600037341l\n", "91110000600037341L"),
    ],
)
def test_lowercase_spaced_and_full_width_input_is_cleaned_and_accepted(typed, cleaned):
    assert clean_credit_code(typed) == cleaned
    assert credit_code_is_valid(typed)
    validate_credit_code(typed)


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y433", "913501"])
def test_wrong_length_is_rejected_with_the_count(code):
    assert not credit_code_is_valid(code)
    error = raised_error(code)
    assert error.code == "credit_code_length"
    assert error.messages == [f"A unified social credit code has 18 characters; this one has {len(code)}."]


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V", "-", "*"])
def test_characters_outside_the_alphabet_are_rejected(letter):
    code = "91350100M000100Y43".replace("M", letter)
    assert not credit_code_is_valid(code)
    error = raised_error(code)
    assert error.code == "credit_code_characters"
    assert error.messages[0].endswith(f"this one contains {letter}.")


def test_every_invalid_character_is_named_once():
    error = raised_error("91350100O0001I0O43")
    assert error.messages[0].endswith("this one contains I, O.")


@pytest.mark.parametrize("wrong_last", [c for c in ALPHABET if c != "3"])
def test_any_other_check_character_is_rejected(wrong_last):
    code = "91350100M000100Y4" + wrong_last
    assert not credit_code_is_valid(code)
    error = raised_error(code)
    assert error.code == "credit_code_check_digit"
    assert error.messages == ["The check digit of this credit code (the 18th character) is wrong: expected 3."]


def test_swapped_neighbours_are_caught_by_the_check_character():
    assert not credit_code_is_valid("91350100M000100Y34")
    assert not credit_code_is_valid("91110000600037314L")


# --- every part, not only the 18th character (GB 32100-2015; organization code GB 11714) ----------


def with_check_character(first_17):
    """A code whose 18th character is right, so that only the part under test is wrong."""
    return first_17 + credit_code_check_character(first_17)


def test_published_organization_codes_check_out():
    # Organization codes are GB 11714: weights 3 7 9 10 5 8 4 2, mod 11, 10 -> X, 11 -> 0.
    assert organization_code_check_character("M000100Y") == "4"
    assert organization_code_check_character("71526726") == "X"
    assert organization_code_check_character("00000000") == "0"
    assert organization_code_check_character("MA3MXH0E") == "3"


def test_a_wrong_organization_code_is_refused_even_when_the_18th_character_adds_up():
    code = with_check_character("91350100M000100Y5")  # the organization code's own check character is 4
    assert not credit_code_is_valid(code)
    error = raised_error(code)
    assert error.code == "credit_code_organization_code"
    assert "organization code" in error.messages[0] and "characters 9 to 17" in error.messages[0]


@pytest.mark.parametrize("authority", ["0", "B", "C", "M", "X"])
def test_an_unknown_registration_authority_is_refused(authority):
    code = with_check_character(authority + "1350100M000100Y4")
    error = raised_error(code)
    assert error.code == "credit_code_authority"
    assert error.messages[0].startswith("The first character of a credit code is the registration authority")
    assert f"“{authority}”" in error.messages[0]


@pytest.mark.parametrize(
    "authority_and_kind", ["94", "99", "Y2", "Y9", "15", "58", "10", "A2", "N4", "24", "36", "73", "82"]
)
def test_a_kind_of_organization_its_authority_does_not_register_is_refused(authority_and_kind):
    code = with_check_character(authority_and_kind + "350100M000100Y4")
    error = raised_error(code)
    assert error.code == "credit_code_entity_type"
    assert error.messages[0].startswith("The second character of a credit code is the kind of organization")


@pytest.mark.parametrize(
    "authority_and_kind",
    [
        "11",
        "12",
        "13",
        "19",
        "21",
        "29",
        "31",
        "35",
        "39",
        "41",
        "51",
        "52",
        "53",
        "59",
        "61",
        "62",
        "71",
        "81",
        "91",
        "92",
        "93",
        "A1",
        "A9",
        "N1",
        "N2",
        "N3",
        "N9",
        "Y1",
    ],  # fmt: skip
)
def test_every_authority_and_kind_of_the_standard_is_accepted(authority_and_kind):
    validate_credit_code(with_check_character(authority_and_kind + "350100M000100Y4"))


def test_the_region_code_is_digits():
    error = raised_error(with_check_character("9135A100M000100Y4"))
    assert error.code == "credit_code_region"
    assert error.messages[0] == (
        "Characters 3 to 8 of a credit code are the region code, digits only; this one has “35A100”."
    )


def test_credit_code_complete_builds_codes_valid_in_every_part():
    assert credit_code_complete("91350100M000100Y") == "91350100M000100Y43"
    assert credit_code_is_valid(credit_code_complete("91370200MA3C8K2X"))
