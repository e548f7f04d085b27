import pytest
from django.core.exceptions import ValidationError

from crm.validators import (
    clean_credit_code,
    credit_code_check_character,
    credit_code_is_valid,
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
    first_17 = "91370200000000010"
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
    assert error.messages == ["The check digit of this credit code is wrong: expected 3."]


def test_swapped_neighbours_are_caught_by_the_check_character():
    assert not credit_code_is_valid("91350100M000100Y34")
    assert not credit_code_is_valid("91110000600037314L")
