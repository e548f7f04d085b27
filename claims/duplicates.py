"""The duplicate check (查重): is this company already in the CRM, and who holds it?

Strong matches (same credit code, same normalized name, a shared phone) are the
same customer. A similar name (PostgreSQL pg_trgm similarity on the normalized
name, served by its GIN index; a containment test on SQLite) may be, and so may
a customer one of whose contacts has the phone given (people change employers,
so it is a question, not a verdict): the rep looks and confirms.
"""

from dataclasses import dataclass, field

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import ContactPhone, Customer, CustomerPhone, CustomerSearchName
from crm.normalize import normalize_name, split_phones
from crm.validators import clean_credit_code

SIMILARITY_THRESHOLD = 0.45  # on normalized names: 青岛杰航机械 ~ 青岛杰航精密机械 (0.45), not 青岛恒锐机械 (0.27)
VERY_SIMILAR = 0.6  # one character added to a name (青岛杰航机械 ~ 青岛杰航机械厂, 0.67)
MAX_SIMILAR = 8
WEAK_REASONS = {"similar", "contact_phone"}  # the rep is asked; the others block a second registration
SQLITE_CANDIDATES = 50  # containment finds candidates on SQLite; the closest MAX_SIMILAR of them are shown

REASONS = {
    "credit_code": _("same credit code"),
    "name": _("same name"),
    "phone": _("same phone"),
    "group": _("same group"),
    "similar": _("similar name"),
    "contact_phone": _("a contact has this phone"),
    "very_similar": _("very similar name"),
    "chosen": _("you said it is this one"),
}


@dataclass
class Match:
    customer: Customer
    reasons: list = field(default_factory=list)
    similarity: float = 0.0

    @property
    def is_strong(self):
        return any(reason not in WEAK_REASONS for reason in self.reasons)

    @property
    def reason_labels(self):
        """In words, never numbers: a similar name says how close it is."""
        very = self.similarity >= VERY_SIMILAR
        return [REASONS["very_similar" if reason == "similar" and very else reason] for reason in self.reasons]


def _strongest_first(matches):
    return sorted(matches, key=lambda m: (not m.is_strong, -m.similarity, m.customer.name))


def confirm_same(matches: list[Match], pk) -> list[Match] | None:
    """The rep's answer to a similar name, "it is this one": that match counts as strong from here on.
    None if `pk` is not one of the similar names found, so the answer reaches no other customer."""
    chosen = next((match for match in matches if match.customer.pk == pk and not match.is_strong), None)
    if chosen is None:
        return None
    chosen.reasons.append("chosen")
    return _strongest_first(matches)


def find_duplicates(*, name="", phones="", credit_code="", group_name="", exclude_pk=None) -> list[Match]:
    """Matches, strongest first. Reads only what the caller may show: name, owner, grade, status."""
    name_key = normalize_name(name) if name else ""
    group_key = normalize_name(group_name) if group_name else ""
    code = clean_credit_code(credit_code) if credit_code else ""
    phone_numbers = split_phones(phones) if phones else []
    found: dict[int, Match] = {}

    def add(customers, reason):
        for customer in customers:
            found.setdefault(customer.pk, Match(customer)).reasons.append(reason)

    base = Customer.objects.select_related("owner").only(
        "name", "name_normalized", "group_key", "grade", "status", "owner", "pool_reason", "pool_since", "credit_code"
    )
    if exclude_pk:
        base = base.exclude(pk=exclude_pk)
    # One indexed lookup per key, UNIONed: an OR across them would scan the whole table.
    keyed = []
    if code:
        keyed.append(Customer.objects.filter(credit_code=code).order_by().values_list("pk"))
    if name_key:
        keyed.append(Customer.objects.filter(name_normalized=name_key).order_by().values_list("pk"))
    if group_key:  # DOMAIN rule 2: a group's members (and the group itself) are one customer
        keyed.append(
            Customer.objects.filter(Q(group_key=group_key) | Q(name_normalized=group_key)).order_by().values_list("pk")
        )
    if name_key:
        keyed.append(Customer.objects.filter(group_key=name_key).order_by().values_list("pk"))
    if phone_numbers:
        keyed.append(CustomerPhone.objects.filter(number__in=phone_numbers).order_by().values_list("customer"))
    strong_ids = [row[0] for row in keyed[0].union(*keyed[1:])[:20]] if keyed else []
    for customer in base.filter(pk__in=strong_ids) if strong_ids else []:
        match = found.setdefault(customer.pk, Match(customer))
        if code and customer.credit_code == code:
            match.reasons.append("credit_code")
        if name_key and customer.name_normalized == name_key:
            match.reasons.append("name")
        same_group = group_key and group_key in (customer.group_key, customer.name_normalized)
        if same_group or (name_key and customer.group_key == name_key):
            match.reasons.append("group")
    if phone_numbers and found:
        for customer_id in CustomerPhone.objects.filter(number__in=phone_numbers, customer__in=list(found)).values_list(
            "customer", flat=True
        ):
            if "phone" not in found[customer_id].reasons:
                found[customer_id].reasons.append("phone")
    if phone_numbers:
        contact_phone_ids = (
            ContactPhone.objects.numbered(phone_numbers)
            .exclude(contact__customer__in=list(found))
            .values("contact__customer")
            .distinct()[:MAX_SIMILAR]
        )  # fmt: skip
        for customer in base.filter(pk__in=contact_phone_ids):
            found.setdefault(customer.pk, Match(customer)).reasons.append("contact_phone")
    if len(name_key) >= 2:
        for customer in similar_names(base.exclude(pk__in=list(found)), name_key):
            match = found.setdefault(customer.pk, Match(customer, similarity=getattr(customer, "similarity", 0)))
            match.reasons.append("similar")
    return _strongest_first(found.values())


def similar_names(customers, name_key):
    """The customers whose names are closest to `name_key`, closest first, each with its `similarity`."""
    if connection.vendor == "postgresql":
        # `%` uses the trigram GIN index of the names' own table; the threshold is set for this transaction.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_limit(%s)", [SIMILARITY_THRESHOLD])
        similar = CustomerSearchName.objects.filter(name_normalized__trigram_similar=name_key).values("customer")
        return (
            customers.filter(pk__in=similar)
            .annotate(similarity=TrigramSimilarity("name_normalized", name_key))
            .order_by("-similarity", "name")[:MAX_SIMILAR]
        )
    # SQLite fallback: one name contains the other's core (at least four characters), scored as pg_trgm would.
    condition = Q(name_normalized__contains=name_key)
    if len(name_key) >= 4:
        condition |= Q(name_normalized__contains=name_key[:4])
    candidates = list(customers.filter(condition)[:SQLITE_CANDIDATES])
    for customer in candidates:
        customer.similarity = trigram_similarity(customer.name_normalized, name_key)
    return sorted(candidates, key=lambda customer: (-customer.similarity, customer.name))[:MAX_SIMILAR]


def _trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each word (a run of letters and digits) padded with two spaces before, one after."""
    words = "".join(character if character.isalnum() else " " for character in text.casefold()).split()
    return {padded[i : i + 3] for word in words for padded in [f"  {word} "] for i in range(len(padded) - 2)}


def trigram_similarity(first: str, second: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of the two names."""
    a, b = _trigrams(first), _trigrams(second)
    return len(a & b) / len(a | b) if a or b else 0.0
