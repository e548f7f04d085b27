"""Hostile input shared by the security tests: what attackers and clumsy hands type, and hypothesis strategies
that post it into form fields (valid values most of the time, so that the write paths run too)."""

from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil","x")'
# In any HTML response these would be markup we did not write: a reflected or stored XSS.
RAW_MARKUP = (b"<script>alert(1)", b"<img src=x onerror")

NUL = "\x00"
ICAL_INJECTION = "Acme\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected\r\nDTSTART:20240101"

HOSTILE_TEXT = (
    SCRIPT,
    ATTRIBUTE_BREAKOUT,
    "javascript:alert(1)",
    "' OR 1=1 --",
    "'; DROP TABLE crm_customer; --",
    FORMULA,
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+1-1",
    "-2+3",
    "@SUM(A1:A2)",
    "{{7*7}}",
    "{% debug %}",
    "${7*7}",
    "%s",
    "%(name)s %d %n",
    "{0}{1}",
    "../../../../etc/passwd",
    "..\\..\\..\\boot.ini",
    NUL,
    "a\x00b",
    "\u202egnp.exe",  # right-to-left override
    "\u200f\u200e\u200b\ufeff",  # direction marks, zero width, BOM
    "مرحبا بالعالم",
    "😀👍🏽🇨🇳👨‍👩‍👧",
    "x" * 10_000,
    "中" * 10_000,
    # At the name's 200 characters, but the keys kept beside it grow: pinyin (zhong), NFKC (ﷺ is 18
    # characters), case folding (ß is ss).
    "中" * 200,
    "ﷺ" * 200,
    "ß" * 200,
    "1" * 30,  # a run of digits no phone number has
    "",
    " ",
    "\t\r\n ",
    ICAL_INJECTION,
    "null",
    "None",
    "NaN",
    "-Infinity",
    "1e309",
    "\u2028\u2029\u0085",
    "０５３２－８８８８６６６６",  # full-width digits
    "<!-- ]]> -->",
    "\\",
    '"',
    "'",
)

# Text a form may accept and must then store exactly (after trimming the ends), never mangle.
STORABLE_TEXT = tuple(value for value in HOSTILE_TEXT if NUL not in value and len(value) <= 255)
REJECTED_TEXT = tuple(value for value in HOSTILE_TEXT if value not in STORABLE_TEXT)

# What the sweep puts into every text field: one of each kind of trouble (the many markup and injection
# strings all validate alike; the random fuzzing and the escaping tests try the rest).
SWEEP_TEXT = (
    SCRIPT,
    FORMULA,
    "%(name)s %d %n",
    "中" * 200,
    "ﷺ" * 200,
    "ß" * 200,
    "1" * 30,
    "",
    "\t\r\n ",
    ICAL_INJECTION,
    "\u202egnp.exe",
    "０５３２－８８８８６６６６",
    "\u2028\u2029\u0085",
)

HOSTILE_NUMBERS = (
    "-1",
    "0",
    "-0",
    "1.5",
    "1e3",
    "1e30",
    str(10**30),
    str(-(10**30)),
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "١٢٣",  # Arabic-Indic digits
    " 7 ",
    "9" * 100,
    "1,000",
    "1_000",
    "",
)

HOSTILE_DATES = (
    "0001-01-01",
    "9999-12-31",
    "2024-02-30",
    "2024-13-01",
    "10000-01-01",
    "-2024-01-01",
    "0000-00-00",
    "yesterday",
    "2024/01/01",
    "01/02/2024",
    str(10**30),
)

HOSTILE_DATETIMES = (
    "0001-01-01T00:00",
    "0001-01-01 00:00:00",
    "0001-01-01T07:59",
    "9999-12-31T23:59",
    "2024-01-01T25:61",
    "2024-02-30T10:00",
    "10000-01-01T00:00",
    "2024-01-01T10:00+14:00",
    "now",
    *HOSTILE_DATES,
)

# Path parameters no URL of the app can take (a NUL, a segment past crm.middleware.MAX_PATH_SEGMENT): a 404
# wherever they go, signed in or not. A NUL in the calendar token reached PostgreSQL: a server error.
HOSTILE_PATH_VALUES = (NUL, "a\x00b", "1\x00", "9" * 101, "x" * 10_000, "中" * 101)
# Well-formed but naming nothing (a 20-digit id is past any integer column): never a server error.
ODD_PATH_VALUES = ("9" * 20,)

HOSTILE_IDS = ("0", "-1", "999999999", "1e30", str(10**30), "1.0", "abc", "", " 1 ", "1;2", "[1]")

# Fields no form of the app has, posted in the hope that a view copies them onto a model (mass assignment).
MASS_ASSIGNMENT = ("owner", "created_by", "author", "grade_overridden", "state", "customer", "id", "pk", "role")

SWEEP_BY_KIND = {
    "date": ("0001-01-01", "0001-01-01T00:00", "9999-12-31T23:59", "2024-02-30", "10000-01-01", "1e30", NUL),
    "number": ("-1", "1e30", str(10**30), "NaN", "inf", "1.5", "9" * 100, NUL),
    "id": ("0", "-1", "1e30", str(10**30), "1.0", "abc", NUL),
}

QUERY_VALUES = (
    NUL,
    "a\x00b",
    "x" * 10_000,
    "",
    SCRIPT,
    "%_\\",
    "0001-01-01",
    "9999-12-31",
    "1e30",
    str(10**30),
    "-1",
    "😀\u202e",
)

MISSING = object()

# Deterministic in CI (derandomize) and small: every form gets its share of the minute the suite may take.
FUZZ = settings(
    max_examples=9,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)


def weighted(*choices):
    """One of `choices` [(weight, strategy)]; the first is what hypothesis shrinks towards."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda index: table[index])


@dataclass(frozen=True)
class Field:
    """A form field as the fuzzer fills it: `values` to draw from, `example` a value the form accepts."""

    values: st.SearchStrategy
    example: str
    kind: str = "choice"  # text | choice | number | date | id

    @property
    def is_text(self):
        return self.kind == "text"


def any_text(max_size=30):
    return st.text(max_size=max_size)


def free_text(*valid):
    """A free-text field: mostly something storable (hostile or not), sometimes anything."""
    valid = valid or ("青岛杰航机械有限公司",)
    values = weighted((4, st.sampled_from(valid)), (4, st.sampled_from(HOSTILE_TEXT)), (2, any_text()))
    return Field(values, valid[0], "text")


def choice(*valid):
    """A choice (or boolean, or number) field: its own values, hostile text, numbers of every wrong kind."""
    values = weighted(
        (6, st.sampled_from(valid)), (2, st.sampled_from(HOSTILE_TEXT + HOSTILE_NUMBERS)), (1, any_text(8))
    )
    return Field(values, valid[0])


def number(*valid):
    values = weighted(
        (5, st.sampled_from(valid)),
        (3, st.sampled_from(HOSTILE_NUMBERS)),
        (1, st.integers().map(str)),
        (1, st.sampled_from(HOSTILE_TEXT)),
    )
    return Field(values, valid[0], "number")


def date(*valid):
    values = weighted(
        (5, st.sampled_from(valid)),
        (3, st.sampled_from(HOSTILE_DATES)),
        (1, st.dates().map(str)),
        (1, st.sampled_from(HOSTILE_TEXT + HOSTILE_NUMBERS)),
    )
    return Field(values, valid[0], "date")


def datetime(*valid):
    values = weighted(
        (5, st.sampled_from(valid)),
        (3, st.sampled_from(HOSTILE_DATETIMES)),
        (1, st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M"))),
        (1, st.sampled_from(HOSTILE_TEXT)),
    )
    return Field(values, valid[0], "date")


def ids(valid, foreign=()):
    """An id field: ids of objects the user may pick, ids of other teams' objects, and ids that are no ids."""
    valid = [str(pk) for pk in valid]
    foreign = [str(pk) for pk in foreign] or ["999999999"]
    values = weighted(
        (5, st.sampled_from(valid)),
        (2, st.sampled_from(foreign)),
        (2, st.sampled_from(HOSTILE_IDS)),
        (1, st.sampled_from(HOSTILE_TEXT)),
    )
    return Field(values, valid[0], "id")


def posted(values):
    """A field as the browser (or an attacker) sends it: usually once, sometimes missing, sometimes twice."""
    return weighted((8, values), (1, st.just(MISSING)), (1, st.lists(values, min_size=2, max_size=3)))


def form_data(fields, mass_assignment_ids=()):
    """Strategy for a POST of `fields` {name: Field}: each posted (or not), now and then fields the form lacks."""
    extra = st.dictionaries(
        st.sampled_from(MASS_ASSIGNMENT), st.sampled_from([str(pk) for pk in mass_assignment_ids] or ["1"]), max_size=3
    )
    drawn = st.fixed_dictionaries({name: posted(field.values) for name, field in fields.items()})
    return st.tuples(drawn, extra).map(
        lambda pair: {**pair[1], **{name: value for name, value in pair[0].items() if value is not MISSING}}
    )


def sweep(fields):
    """Deterministic posts that put every hostile string into every text field of `fields` once, and the
    worst dates, numbers and ids into the fields of those kinds.

    Post i gives text field j the sweep's string i + j (so one request tries several fields), the other
    fields their accepted example; then each string no form may accept (NUL, 10,000 characters) goes into
    every text field at once; then each hostile date, number or id into every field of its kind at once.
    """
    example = {name: field.example for name, field in fields.items()}
    text = [name for name, field in fields.items() if field.is_text]
    if text:
        for i in range(len(SWEEP_TEXT)):
            yield example | {name: SWEEP_TEXT[(i + j) % len(SWEEP_TEXT)] for j, name in enumerate(text)}
        for value in REJECTED_TEXT:
            yield example | dict.fromkeys(text, value)
    for kind, values in SWEEP_BY_KIND.items():
        names = [name for name, field in fields.items() if field.kind == kind]
        for value in values if names else ():
            yield example | dict.fromkeys(names, value)


def query_sweep(fields):
    """For a search form: every parameter set to the same hostile value, one request per value."""
    for value in QUERY_VALUES:
        yield dict.fromkeys(fields, value)
