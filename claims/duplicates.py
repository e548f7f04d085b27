"""The duplicate check (查重): is this company already in the CRM, and who holds it?

Strong matches (same credit code, same normalized name, a shared phone) are the
same customer. A similar name (PostgreSQL pg_trgm similarity on the normalized
name, served by its GIN index; a containment test on SQLite) may be: the rep
looks and confirms.
"""

from dataclasses import dataclass, field

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import Customer, CustomerPhone
from crm.normalize import normalize_name, split_phones
from crm.validators import clean_credit_code

SIMILARITY_THRESHOLD = 0.45  # on normalized names: 青岛杰航机械 ~ 青岛杰航精密机械 (0.5), not 青岛恒锐机械 (0.3)
MAX_SIMILAR = 8

REASONS = {
    "credit_code": _("same credit code"),
    "name": _("same name"),
    "phone": _("same phone"),
    "group": _("same group"),
    "similar": _("similar name"),
}


@dataclass
class Match:
    customer: Customer
    reasons: list = field(default_factory=list)
    similarity: float = 0.0

    @property
    def is_strong(self):
        return any(reason != "similar" for reason in self.reasons)

    @property
    def reason_labels(self):
        return [REASONS[reason] for reason in self.reasons]


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
    if len(name_key) >= 2:
        for customer in similar_names(base.exclude(pk__in=list(found)), name_key):
            match = found.setdefault(customer.pk, Match(customer, similarity=getattr(customer, "similarity", 0)))
            match.reasons.append("similar")
    return sorted(found.values(), key=lambda m: (not m.is_strong, -m.similarity, m.customer.name))


def similar_names(customers, name_key):
    if connection.vendor == "postgresql":
        # `%` uses the trigram GIN index on name_normalized; the threshold is set for this transaction.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_limit(%s)", [SIMILARITY_THRESHOLD])
        return (
            customers.annotate(similarity=TrigramSimilarity("name_normalized", name_key))
            .filter(name_normalized__trigram_similar=name_key)
            .order_by("-similarity")[:MAX_SIMILAR]
        )
    # SQLite fallback: one name contains the other's core (at least four characters).
    condition = Q(name_normalized__contains=name_key)
    if len(name_key) >= 4:
        condition |= Q(name_normalized__contains=name_key[:4])
    return customers.filter(condition)[:MAX_SIMILAR]
