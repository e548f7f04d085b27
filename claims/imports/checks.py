"""One row of the file checked the way registration checks a customer typed in by hand.

The registration form (claims.forms.RegistrationForm) validates the customer, the contact form each
contact, the duplicate check (claims.duplicates) looks for the company in the CRM, and the owner
must be a current member of the importer's teams.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import User
from accounts.permissions import owner_choices
from claims.duplicates import REASONS, Match, find_duplicates
from claims.forms import RegistrationForm
from crm.exports import CONTACT_COLUMNS, CUSTOMER_COLUMNS, yes_no
from crm.forms import ContactForm
from crm.models import BuyingRole, Contact, Customer, RelationshipLevel, Status
from crm.normalize import normalize_name, split_phones
from crm.validators import clean_credit_code

from .parsing import Layout, normalize_title

CUSTOMER_BY_FIELD = {column.field: column for column in CUSTOMER_COLUMNS if column.field}
CONTACT_BY_FIELD = {column.field: column for column in CONTACT_COLUMNS}
# What an empty cell means where the form would otherwise ask for a value.
DEFAULTS = {
    "status": Status.PROSPECT,
    "relationship_level": RelationshipLevel.ORDINARY,
    "buying_role": BuyingRole.OTHER,
}
YES = {"yes", "y", "true", "1", "x", "✓", "√", "是"}
NO = {"no", "n", "false", "0", "否", ""}
AMOUNT_NOISE = re.compile(r"[\s,，¥￥]|cny|rmb|元", re.IGNORECASE)


@cache
def _choice_values(choices) -> dict[str, str]:
    """Each value of a choice, by its code and by its label in every language (exports write labels)."""
    values = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for value, label in choices.choices:
                values[normalize_title(str(label))] = value
    for value in choices.values:
        values[normalize_title(value)] = value
    return values


@lru_cache(maxsize=1)
def _yes_no_words() -> tuple[frozenset, frozenset]:
    yes, no = set(YES), set(NO)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            yes.add(normalize_title(yes_no(True)))
            no.add(normalize_title(yes_no(False)))
    return frozenset(yes), frozenset(no)


def parse_yes_no(text: str) -> bool | None:
    yes, no = _yes_no_words()
    key = normalize_title(text)
    return True if key in yes else False if key in no else None


def parse_amount(text: str) -> str:
    """1,500,000 · ¥1500000 · 150万 all mean 1500000; anything else is left for the form to refuse."""
    cleaned = AMOUNT_NOISE.sub("", text)
    factor = 1
    if cleaned.endswith("万"):
        cleaned, factor = cleaned[:-1], 10_000
    try:
        amount = Decimal(cleaned) * factor
        if not amount.is_finite():
            return text
        return str(amount.normalize().quantize(Decimal(1))) if amount == amount.to_integral_value() else str(amount)
    except InvalidOperation:  # "1e999999" and the like: no amount, for the form to refuse
        return text


def _dump(instance, names) -> dict:
    values = {}
    for name in names:
        model_field = instance._meta.get_field(name)
        value = model_field.value_from_object(instance)
        values[model_field.attname] = None if value is None else model_field.value_to_string(instance)
    return values


def _load(model, values: dict):
    fields = {model_field.attname: model_field for model_field in model._meta.concrete_fields}
    return model(**{name: None if text is None else fields[name].to_python(text) for name, text in values.items()})


class RowRefused(Exception):
    """The import refuses a row: `errors` says why, as the dry run says it ([[column title or "", message]])."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


@dataclass
class RowCheck:
    """What a row would become, and why it cannot (errors) or what to look at (warnings)."""

    customer: Customer | None = None
    contacts: list[Contact] = field(default_factory=list)
    owner: User | None = None
    grade: str = ""
    errors: list[list[str]] = field(default_factory=list)
    warnings: list[list[str]] = field(default_factory=list)
    # Referred by a row of the file not yet imported: only the import can resolve the name.
    refers_to_the_file: bool = False

    def error(self, title, message):
        self.errors.append([str(title), str(message)])

    def warn(self, title, message):
        self.warnings.append([str(title), str(message)])

    def values(self) -> dict:
        """A good row as JSON: the import builds it from this rather than checking every cell again."""
        if self.errors:
            return {}
        return {
            "customer": _dump(self.customer, RegistrationForm._meta.fields),
            "contacts": [_dump(contact, ContactForm._meta.fields) for contact in self.contacts],
            "owner": self.owner.pk if self.owner else None,
            "grade": self.grade,
            "recheck": self.refers_to_the_file,
        }

    @classmethod
    def from_values(cls, values: dict, people: dict) -> "RowCheck":
        """The row as the dry run checked it; `people` remembers owners between rows."""
        owner = None
        if values["owner"]:
            owner = people.get(values["owner"]) or people.setdefault(
                values["owner"], User.objects.get(pk=values["owner"])
            )
        return cls(
            customer=_load(Customer, values["customer"]),
            contacts=[_load(Contact, contact) for contact in values["contacts"]],
            owner=owner,
            grade=values["grade"],
        )


def match_holder(match: Match) -> str:
    customer = match.customer
    if customer.owner_id is None:
        return _("in the pool")
    return _("held by %(owner)s") % {"owner": customer.owner}


def _reasons(reasons) -> str:
    return pgettext("list separator", ", ").join(str(REASONS[reason]) for reason in reasons)


def duplicate_message(match: Match) -> str:
    return _("Already in the CRM as “%(name)s” (%(reasons)s), %(holder)s.") % {
        "name": match.customer.name,
        "reasons": _reasons(match.reasons),
        "holder": match_holder(match),
    }


def similar_message(match: Match) -> str:
    return _(
        "A similar name is in the CRM: “%(name)s”, %(holder)s. The row is imported as a new customer; "
        "take it out of the file if it is the same company."
    ) % {"name": match.customer.name, "holder": match_holder(match)}


class OwnerLookup:
    """The owner column: a login name or a full name among the people the importer manages."""

    def __init__(self, actor: User):
        self.actor = actor
        self.people: dict[str, list[User]] = {}
        for user in owner_choices(actor):
            for key in {normalize_title(user.username), normalize_title(str(user))}:
                self.people.setdefault(key, []).append(user)
        self.found: dict[str, tuple[User | None, str]] = {}

    def find(self, text: str) -> tuple[User | None, str]:
        """The person, or None and why not."""
        key = normalize_title(text)
        if key not in self.found:
            self.found[key] = self._find(text, key)
        return self.found[key]

    def _find(self, text, key):
        candidates = self.people.get(key, [])
        if len(candidates) == 1:
            return candidates[0], ""
        if candidates:
            return None, _("Several people are called “%(name)s”: write the login name instead.") % {"name": text}
        other = User.objects.filter(username__iexact=text).first()
        if other is None:
            return None, _("No one in your teams is called “%(name)s”.") % {"name": text}
        if other.has_departed or not other.is_active:
            return None, _(
                "%(name)s has left the company: leave the owner empty for the pool, or name a colleague."
            ) % {"name": other}
        if other.is_admin:
            return None, _("%(name)s is an admin; admins do not hold customers.") % {"name": other}
        return None, _("%(name)s is not in your teams: you may give customers only to people you manage.") % {
            "name": other
        }


@dataclass
class FileKeys:
    """The duplicate-check keys of the rows checked so far, so a file's second copy of a company is caught."""

    by_key: dict[tuple[str, str], int] = field(default_factory=dict)

    @staticmethod
    def keys(customer: Customer):
        name_key = normalize_name(customer.name)
        group_key = normalize_name(customer.group_name) if customer.group_name else ""
        code = clean_credit_code(customer.credit_code)
        # (what this row offers, what it is looked up as, the reason) as in claims.duplicates.find_duplicates
        if code:
            yield ("code", code), ("code", code), "credit_code"
        if name_key:
            yield ("name", name_key), ("name", name_key), "name"
            yield ("name", name_key), ("group", name_key), "group"
        if group_key:
            yield ("group", group_key), ("group", group_key), "group"
            yield ("group", group_key), ("name", group_key), "group"
        for number in split_phones(customer.phones):
            yield ("phone", number), ("phone", number), "phone"

    def earlier(self, customer: Customer) -> tuple[int, list[str]] | None:
        """The first earlier row that is the same customer, and why."""
        found: dict[int, list[str]] = {}
        for _offered, looked_up, reason in self.keys(customer):
            row = self.by_key.get(looked_up)
            if row is not None and reason not in found.setdefault(row, []):
                found[row].append(reason)
        if not found:
            return None
        row = min(found)
        return row, found[row]

    def add(self, customer: Customer, row: int):
        for offered, _looked_up, _reason in self.keys(customer):
            self.by_key.setdefault(offered, row)


class RowChecker:
    """Checks the rows of one file for one importer."""

    def __init__(self, *, actor: User, layout: Layout, in_file: bool):
        self.actor = actor
        self.layout = layout
        self.owners = OwnerLookup(actor)
        # The dry run checks the file against itself too; the import needs not: earlier rows are in the CRM by then.
        self.file_keys = FileKeys() if in_file else None
        self.names_in_file: dict[str, int] = {}

    def title(self, index) -> str:
        return self.layout.headers[index]

    def remember(self, good_rows):
        """Take in the good rows an earlier run of the dry run stored, as if this run had checked them."""
        for number, values in good_rows:
            customer = _load(Customer, values["customer"])
            if self.file_keys is not None:
                self.file_keys.add(customer, number)
            self.names_in_file.setdefault(normalize_name(customer.name), number)

    def check(self, cells: list[str], *, number: int, find_duplicate_customers: bool = True) -> RowCheck:
        result = RowCheck()
        self._check_stray_cells(cells, result)
        data = self._customer_data(cells, result)
        form = RegistrationForm(data, actor=self.actor)
        form.fields["need"].required = False  # old spreadsheets rarely say it; registration by hand asks for it
        form.is_valid()
        errors = dict(form.errors)
        referred = data.get("referred_by", "")
        if "referred_by" in errors and normalize_name(referred) in self.names_in_file:
            del errors["referred_by"]  # referred by an earlier row of this file: imported before this one
            result.refers_to_the_file = True
        for name, messages in errors.items():
            index = self.layout.customer.get(name)
            title = self.title(index) if index is not None else ""
            for message in messages:
                result.error(title, message)
        if not errors:
            result.customer = form.instance  # filled from the cleaned data, as form.save(commit=False) would
        self._check_owner(cells, result)
        self._check_contacts(cells, result)
        if result.customer is not None and find_duplicate_customers:
            self._check_duplicates(result, number)
        if not result.errors and result.customer is not None:
            if self.file_keys is not None:
                self.file_keys.add(result.customer, number)
            self.names_in_file.setdefault(normalize_name(result.customer.name), number)
        return result

    def _check_stray_cells(self, cells, result):
        stray = [
            index
            for index, text in enumerate(cells)
            if text and (index >= len(self.layout.headers) or not self.layout.headers[index])
        ]
        if stray:
            result.error(
                "",
                _("%(count)s cell(s) stand in columns without a title; give the column a title or empty the cells.")
                % {"count": len(stray)},
            )

    def _value(self, column, text, result, title):
        if not text:
            return DEFAULTS.get(column.field, "")
        if column.kind == "choice":
            return _choice_values(column.choices).get(normalize_title(text), text)
        if column.kind == "yes_no":
            flag = parse_yes_no(text)
            if flag is None:
                result.error(title, _("Write yes or no, not “%(text)s”.") % {"text": text})
            return bool(flag)
        if column.kind == "amount":
            return parse_amount(text)
        if column.kind == "percent":
            text = text.rstrip("%％").strip()
            # A cell formatted as a percentage in Excel holds the fraction: 0.2 is 20 %.
            if re.fullmatch(r"0?\.\d+|1\.0*", text):
                return str(round(Decimal(text) * 100))
            return text
        return text

    def _customer_data(self, cells, result) -> dict:
        data = {}
        for name, index in self.layout.customer.items():
            column = CUSTOMER_BY_FIELD[name]
            text = cells[index] if index < len(cells) else ""
            if name == "grade":
                result.grade = self._value(column, text, result, self.title(index)) if text else ""
                if result.grade and result.grade not in column.choices.values:
                    result.error(self.title(index), _("Write grade A, B or C, not “%(text)s”.") % {"text": text})
                    result.grade = ""
            elif name != "owner":
                data[name] = self._value(column, text, result, self.title(index))
        for name, value in DEFAULTS.items():
            if name in CUSTOMER_BY_FIELD:
                data.setdefault(name, value)
        return data

    def _check_owner(self, cells, result):
        index = self.layout.customer.get("owner")
        text = cells[index] if index is not None and index < len(cells) else ""
        if not text:
            return  # no owner: the customer goes to the pool
        result.owner, refusal = self.owners.find(text)
        if refusal:
            result.error(self.title(index), refusal)

    def _check_contacts(self, cells, result):
        primary = 0
        for fields in self.layout.contacts.values():
            texts = {name: cells[index] if index < len(cells) else "" for name, index in fields.items()}
            if not any(texts.values()):
                continue
            data = {}
            for name, text in texts.items():
                data[name] = self._value(CONTACT_BY_FIELD[name], text, result, self.title(fields[name]))
            for name, value in DEFAULTS.items():
                if name in CONTACT_BY_FIELD:
                    data.setdefault(name, value)
            form = ContactForm(data)
            if not form.is_valid():
                for name, messages in form.errors.items():
                    title = self.title(fields[name]) if name in fields else ""
                    for message in messages:
                        result.error(title, message)
                continue
            contact = form.save(commit=False)
            primary += contact.is_primary
            result.contacts.append(contact)
        if primary > 1:
            result.error("", _("Only one contact of a customer may be the primary contact."))

    def _check_duplicates(self, result, number):
        customer = result.customer
        if self.file_keys is not None:
            earlier = self.file_keys.earlier(customer)
            if earlier:
                row, reasons = earlier
                result.error(
                    "", _("Same customer as row %(row)s (%(reasons)s).") % {"row": row, "reasons": _reasons(reasons)}
                )
                return
        matches = find_duplicates(
            name=customer.name, phones=customer.phones, credit_code=customer.credit_code, group_name=customer.group_name
        )
        for match in matches:
            if match.is_strong:
                result.error("", duplicate_message(match))
                return
        for match in matches[:1]:
            result.warn("", similar_message(match))
