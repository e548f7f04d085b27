"""The search box: customers, contacts and (for managers) reps from one line of text, as the user types.

What it matches: a customer's name (any part, also normalized, its pinyin and initials) and credit code,
a contact's name and its pinyin, and a customer's or a contact's phone number by its last four to six digits
(尾号: what a missed call shows, what people remember of a number) or by seven or more digits anywhere in it.
Visibility as everywhere: a customer the user may not see is only named, with its holder, as the duplicate
check names it; its contacts are not shown at all.

A fixed number of queries whatever the data (one per group; for phone digits one read of the matching customers
ranks both customer groups, then each group's few rows are fetched), each served by an index on PostgreSQL. On
PostgreSQL each group of a text search ranks at most RANKED of its matches (and every exact name): a query that
thousands of customers match ("nbj", a contact named 肖静) is too broad for the order to mean much, and ranking
them all made the box slower the more customers the company held.
"""

from dataclasses import dataclass, field

from django.db import connections
from django.db.models import F, Q, Window
from django.db.models.functions import Length, RowNumber
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import User
from accounts.permissions import can_manage_people

from .models import Contact, ContactPhone, Customer, CustomerPhone
from .normalize import is_phone_tail, normalize_name, phone_search_digits

MIN_LENGTH = 2  # one character matches half the customers: nothing to choose from
MAX_LENGTH = 100
CUSTOMERS = 8
HIDDEN_CUSTOMERS = 3
CONTACTS = 6
REPS = 5
RECENT = 10
# The shortest names first: the closer a name is to what was typed, the likelier it is the one meant. It also
# keeps PostgreSQL from walking the whole name index in order, hoping to meet a few rare matches early.
BEST_FIRST = (Length("name"), "name", "pk")
# The matches a group ranks at most on PostgreSQL (each within what the user may see): a few hundred rows read,
# however many match. The exact name is always among them, so 金信 still finds 金信 before 宁波金信电力设备.
RANKED = 200


@dataclass
class SearchResults:
    query: str
    phone_tail: str = ""  # the digits, when the numbers were searched by their last digits only
    customers: list = field(default_factory=list)  # visible: name, grade, owner, link
    hidden: list = field(default_factory=list)  # not visible: name and holder only
    contacts: list = field(default_factory=list)  # of visible customers, with their customer
    reps: list = field(default_factory=list)

    @property
    def empty(self):
        return not (self.customers or self.hidden or self.contacts or self.reps)

    @property
    def more_customers(self):
        """Whether more customers may match than are shown: the customer list then shows every one."""
        return len(self.customers) >= CUSTOMERS

    @property
    def best_url(self):
        """Where Enter goes: the first customer, else the first contact's customer, else the first rep."""
        if self.customers:
            return customer_url(self.customers[0])
        if self.contacts:
            return customer_url(self.contacts[0].customer)
        if self.reps:
            return rep_url(self.reps[0])
        return None


def customer_url(customer):
    return reverse("crm:customer_detail", args=[customer.pk])


def rep_url(rep):
    return reverse("crm:customer_list") + "?" + urlencode({"owner": rep.pk})


def clean_query(text: str) -> str:
    """The query as searched: trimmed, at most MAX_LENGTH characters, "" if too short or unsearchable."""
    text = " ".join(text.split())[:MAX_LENGTH]
    if len(text) < MIN_LENGTH or "\x00" in text:  # PostgreSQL refuses NUL in a query
        return ""
    return text


def customers_matching(customers, text, digits):
    if digits:
        # Phone digits: the customers with such a number, or a contact with one; or a credit code starting so.
        # One UNION of indexed lookups: an OR across them would scan every customer.
        with_phone = CustomerPhone.objects.matching(digits).order_by().values("customer")
        with_contact_phone = ContactPhone.objects.matching(digits).order_by().values("contact__customer")
        with_code = Customer.objects.filter(credit_code__istartswith=text).order_by().values("pk")
        return customers.filter(pk__in=with_phone.union(with_contact_phone, with_code))
    # Each way of matching hands over at most RANKED (on PostgreSQL): the box ranks no more.
    return customers.search(text, some=RANKED)


def contacts_matching(text, digits):
    if digits:
        return Contact.objects.filter(pk__in=ContactPhone.objects.matching(digits).values("contact"))
    return Contact.objects.matching_name(text)


def best_first(matching, exact=None):
    """`matching` in BEST_FIRST order, ranked among at most RANKED of its rows and every row of `exact` (a few
    rows found by equality, already within `matching`'s visibility)."""
    if connections[matching.db].vendor != "postgresql":
        return matching.order_by(*BEST_FIRST)  # SQLite: a newcomer's few customers, every match ranked
    # A LIMIT without ORDER BY: PostgreSQL stops fetching rows once it has RANKED of them.
    candidates = matching.order_by().values("pk")[:RANKED]
    if exact is not None:
        candidates = candidates.union(exact.order_by().values("pk"))
    return matching.model.objects.filter(pk__in=candidates).order_by(*BEST_FIRST)


def shown_as_hidden(customers):
    """A customer the user may not see: its name and holder only, the first HIDDEN_CUSTOMERS."""
    return customers.select_related("owner").only("name", "owner")[:HIDDEN_CUSTOMERS]


def split_by_holder(user, matching):
    """The visible and the hidden customers among `matching`, each group best first, from one read of the matches.

    For phone digits: a four-digit tail is on ~130 customers' numbers and ~300 contacts' at 1,000,000 customers;
    reading them once for each group, each time looking up every holder, took longer (a rep's box: 62 -> 53 ms).
    Every match is ranked, not RANKED of them: a few hundred rows, and a cap before the split could leave out the
    few a rep may see."""
    places = Window(RowNumber(), partition_by=[F("visible")], order_by=list(BEST_FIRST))
    ranked = (
        matching.with_visible(user, people_as_ids=True)
        .annotate(place=places)
        .filter(place__lte=CUSTOMERS)
        .values_list("pk", "visible")
    )
    chosen = {True: [], False: []}
    for pk, visible in ranked:
        chosen[visible].append(pk)
    customers = Customer.objects.filter(pk__in=chosen[True]).select_related("owner").order_by(*BEST_FIRST)
    hidden = Customer.objects.filter(pk__in=chosen[False]).order_by(*BEST_FIRST)
    return list(customers), list(shown_as_hidden(hidden))


def search(user, text: str) -> SearchResults:
    """What the search box shows `user` for `text`: at most a few of each group, best first."""
    text = clean_query(text)
    results = SearchResults(query=text)
    if not text or not user.is_authenticated:
        return results
    digits = phone_search_digits(text)
    results.phone_tail = digits if digits and is_phone_tail(digits) else ""
    normalized = "" if digits else normalize_name(text)
    # A manager's people are named by id in every group (read once: crm.models.people_ids), so that PostgreSQL
    # estimates the visible customers from the holder column's statistics: under a subquery it guessed half the
    # company visible and walked 511,000 contacts in customer order for a manager's "xm" at 1,000,000 (258 ms; 25 by
    # id), and the holders' index from its start for the customers' "nbj" (89 ms; 26 by id).
    visible = Customer.objects.visible_to(user, people_as_ids=True)
    hidden = Customer.objects.hidden_from(user, people_as_ids=True)

    def named_exactly(customers):
        return customers.filter(name_normalized=normalized) if normalized else None

    if digits:
        results.customers, results.hidden = split_by_holder(user, customers_matching(Customer.objects, text, digits))
    else:
        results.customers = list(
            best_first(customers_matching(visible, text, digits), named_exactly(visible)).select_related("owner")[
                :CUSTOMERS
            ]
        )
        results.hidden = list(
            shown_as_hidden(best_first(customers_matching(hidden, text, digits), named_exactly(hidden)))
        )
    # No exact names among contacts: thousands of people share a name (肖静), and any of them is as good as another.
    results.contacts = list(
        best_first(contacts_matching(text, digits).filter(customer__in=visible.values("pk"))).select_related(
            "customer"
        )[:CONTACTS]
    )
    if can_manage_people(user) and not digits:
        results.reps = list(
            User.objects.visible_to(user)
            .filter(is_active=True)
            .filter(Q(username__icontains=text) | Q(first_name__icontains=text) | Q(last_name__icontains=text))
            .order_by("username")[:REPS]
        )
    return results


def recent_customers(user, limit=RECENT):
    """The customers `user` last opened or logged a visit for, newest first; only those still visible."""
    return list(
        Customer.objects.visible_to(user)
        .filter(recent_views__user=user)
        .select_related("owner")
        .order_by("-recent_views__seen_at", "-pk")[:limit]
    )
