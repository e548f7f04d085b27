"""Keys for matching customers: company names, phone numbers and pinyin search keys."""

import re
import unicodedata

import zhconv
from pypinyin import Style, lazy_pinyin

# Longest forms first, so 股份有限公司 is removed whole rather than leaving 股份 behind. These words
# never occur inside a meaningful name, so they are removed wherever they stand: that also cleans
# branch names such as 杰航机械有限公司济南分公司.
CHINESE_LEGAL_FORMS = re.compile("集团股份有限公司|集团有限公司|股份有限公司|有限责任公司|有限公司|股份公司|集团")
# 公司 alone is stripped only at the end, where it is the legal form and not part of the name.
CHINESE_TRAILING_LEGAL_FORMS = re.compile("(?:分公司|公司)+$")
# Whole words only: a Latin letter, digit or hyphen on either side means the word is part of something
# else (Cotton, Incline, co-op). Chinese characters do count as a boundary, as in 杰航Co.,Ltd.
ENGLISH_LEGAL_FORMS = re.compile(
    r"(?<![0-9a-z\u00c0-\u024f-])(?:co|ltd|limited|inc|corp|corporation|company|llc|gmbh|group)\.?"
    r"(?![0-9a-z\u00c0-\u024f-])"
)

# The widths of the key columns (Customer.name_normalized and group_key, name_pinyin, CustomerPhone.number):
# a key is cut to fit, everywhere it is made, so stored and looked-up keys still compare equal.
NAME_KEY_LENGTH = 200
PINYIN_KEY_LENGTH = 400
PHONE_KEY_LENGTH = 20  # longer than any phone number (E.164 allows 15 digits)

MIN_PHONE_DIGITS = 7
# The longest number kept after normalisation: a four-digit area code and an eight-digit local number.
MAX_PHONE_DIGITS = 12
# An extension at the end of a number: 0532-88886666 转 8001, 88886666 ext. 12, 88886666 (分机 3).
PHONE_EXTENSION = re.compile(
    r"(?<=\d)[\s(\[]*(?:转|轉|分机|分機|extension|ext\.?|x|#)[\s.:]*\d{1,6}[\s)\]]*$", re.IGNORECASE
)
PHONE_LIST_SEPARATORS = re.compile(r"[,;/、\n\r]+")


def _to_simplified(text: str) -> str:
    # "zh-hans" converts character by character. "zh-cn" also swaps Taiwanese vocabulary for the
    # mainland word (軟體 → 软件, 網路 → 网络) while leaving the simplified 软体 or 网路 untouched, so
    # the traditional and simplified spelling of the same name would no longer match.
    return zhconv.convert(text, "zh-hans")


def normalize_name(name: str) -> str:
    """Return the key under which spellings of one company name collide, e.g. 青岛杰航机械."""
    text = _to_simplified(unicodedata.normalize("NFKC", name)).casefold()
    text = ENGLISH_LEGAL_FORMS.sub(" ", text)
    # Brackets, spaces and punctuation go only after the English words, which need them as boundaries;
    # the Chinese forms are then found even when typed with a space inside (有限 公司).
    text = "".join(character for character in text if character.isalnum())
    text = CHINESE_LEGAL_FORMS.sub("", text)
    # Case folding and NFKC can make the key longer than the name (ß is ss, ﷺ is 18 characters).
    return CHINESE_TRAILING_LEGAL_FORMS.sub("", text)[:NAME_KEY_LENGTH]


def _phone_digits(phone: str) -> str:
    text = unicodedata.normalize("NFKC", phone).strip()
    text = PHONE_EXTENSION.sub("", text)
    digits = "".join(character for character in text if character.isdecimal())
    if text.lstrip("([").startswith("+86"):
        national = digits[2:]
    elif digits.startswith("0086"):
        national = digits[4:]
    elif len(digits) == 13 and digits.startswith("861"):
        # A bare 86 is taken for the country code only before a mobile number: 86 also starts local
        # numbers (8688 1234), and in front of a landline the two cannot be told apart.
        return digits[2:]
    else:
        return digits
    is_mobile = len(national) == 11 and national.startswith("1")
    # Dialled from abroad, a landline loses the trunk 0 of its area code; put it back so
    # +86 532 8888 6666 and 0532-88886666 give the same key.
    if national and not is_mobile and not national.startswith("0"):
        return "0" + national
    return national


def normalize_phone(phone: str) -> str:
    """Return the digits of a phone number without China's country code, or "" if too short or long for one."""
    digits = _phone_digits(phone)
    return digits if MIN_PHONE_DIGITS <= len(digits) <= PHONE_KEY_LENGTH else ""


def _looks_complete(digits: str) -> bool:
    # Decides whether the next space-separated group starts a new number or continues this one.
    if digits.startswith("86"):
        return len(digits) >= 13
    if digits.startswith(("0", "400", "800")):
        return len(digits) >= 10
    if digits.startswith("1"):
        return len(digits) >= 11
    return len(digits) >= MIN_PHONE_DIGITS


def _split_on_whitespace(chunk: str) -> list[str]:
    # Whitespace separates numbers (13800138000 13900139000) but also groups the digits of one
    # number (+86 138 0013 8000), so groups are joined until they form a whole number.
    numbers = []
    pending = ""
    for group in chunk.split():
        joined = f"{pending} {group}"
        if not pending:
            pending = group
        elif _looks_complete(_phone_digits(pending)) or len(_phone_digits(joined)) > MAX_PHONE_DIGITS:
            numbers.append(pending)
            pending = group
        else:
            pending = joined
    if pending:
        numbers.append(pending)
    return numbers


def split_phones(text: str) -> list[str]:
    """Return the distinct normalised numbers of a free-text phone field, in the order written."""
    text = unicodedata.normalize("NFKC", text)
    numbers = []
    for chunk in PHONE_LIST_SEPARATORS.split(text):
        for raw_number in _split_on_whitespace(chunk):
            number = normalize_phone(raw_number)
            if number and number not in numbers:
                numbers.append(number)
    return numbers


def pinyin_keys(name: str) -> tuple[str, str]:
    """Return the lowercase full pinyin and the initials of the normalised name.

    青岛杰航机械有限公司 gives ("qingdaojiehangjixie", "qdjhjx"), so typing qdjh finds the company.
    """
    normalized = normalize_name(name)
    # Latin letters and digits come back from pypinyin as one unchanged item, in both styles.
    full = "".join(lazy_pinyin(normalized, style=Style.NORMAL))
    initials = "".join(lazy_pinyin(normalized, style=Style.FIRST_LETTER))
    return full[:PINYIN_KEY_LENGTH], initials[:NAME_KEY_LENGTH]


def person_name_keys(name: str) -> tuple[str, str]:
    """Return the lowercase full pinyin and the initials of a person's name: 王晓明 gives ("wangxiaoming", "wxm").

    Unlike a company name, nothing is stripped but spaces and punctuation (a person has no legal form).
    """
    text = "".join(
        character for character in _to_simplified(unicodedata.normalize("NFKC", name)).casefold() if character.isalnum()
    )
    full = "".join(lazy_pinyin(text, style=Style.NORMAL))
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER))
    return full[:PINYIN_KEY_LENGTH], initials[:NAME_KEY_LENGTH]


MIN_PHONE_SEARCH_DIGITS = 4  # a missed call shows the last digits of the number
# Up to this many digits are a number's tail (尾号: what a missed call or a remembered card gives), found at the
# end of numbers; more are found anywhere in them.
PHONE_TAIL_DIGITS = 6
PHONE_SEARCH_TEXT = re.compile(r"[\d\s()+\-.]+")


def phone_search_digits(text: str) -> str:
    """The digits to look for inside phone numbers, or "" if `text` is not (part of) a phone number.

    Four or more digits, typed with or without the usual separators; a whole number loses China's
    country code as stored numbers do (+86 138 0013 8000 finds 13800138000). See `is_phone_tail`.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if not PHONE_SEARCH_TEXT.fullmatch(text):
        return ""
    digits = "".join(character for character in text if character.isdecimal())
    if len(digits) < MIN_PHONE_SEARCH_DIGITS:
        return ""
    return normalize_phone(text) or digits[:PHONE_KEY_LENGTH]


def is_phone_tail(digits: str) -> bool:
    """Are these search digits a number's tail, to be found at the end of numbers rather than anywhere?"""
    return len(digits) <= PHONE_TAIL_DIGITS
