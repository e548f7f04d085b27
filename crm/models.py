import datetime
import re
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q, Value
from django.db.models.functions import Reverse, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .formatting import phone_numbers
from .indexes import NameBigrams, PostgresGinIndex, PostgresIndex, TextBigrams
from .normalize import is_phone_tail, normalize_name, normalize_phone, person_name_keys, pinyin_keys, split_phones
from .reasons import SystemReasonFields, show
from .validators import clean_credit_code, validate_credit_code


class Grade(models.TextChoices):
    A = "A", _("A: key account")
    B = "B", _("B: developing")
    C = "C", _("C: maintain")


class Status(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active customer")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")


class Source(models.TextChoices):
    EXHIBITION = "exhibition", _("Exhibition")
    REFERRAL = "referral", _("Referral")
    COLD_CALL = "cold_call", _("Cold call")
    INBOUND = "inbound", _("Inbound enquiry")
    EXISTING = "existing", _("Existing customer")


class PoolReason(models.TextChoices):
    """Why a customer has no owner (公海): shown and filtered on the pool page."""

    IMPORTED = "imported", _("Imported without an owner")
    LAPSED = "lapsed", _("Protection lapsed")
    RELEASED = "released", _("Released by the rep")
    DEPARTED = "departed", _("Rep left the company")
    DECIDED = "decided", _("Returned by a dispute decision")


class RelationshipLevel(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    PRIORITY = "priority", _("Priority")
    PARTNER = "partner", _("Partner")
    STRATEGIC = "strategic", _("Strategic")


class Industry(models.TextChoices):
    AUTOMOTIVE = "automotive", _("Automotive parts")
    MACHINERY = "machinery", _("General machinery")
    MOLD = "mold", _("Moulds and dies")
    AEROSPACE = "aerospace", _("Aerospace")
    ELECTRONICS = "electronics", _("Electronics")
    MEDICAL = "medical", _("Medical devices")
    ENERGY = "energy", _("Energy equipment")
    RAIL = "rail", _("Rail transport")
    OTHER = "other", _("Other")


class GradeRule(models.Model):
    """One row per grade: what earns it and how often the customer is contacted (模板2)."""

    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, primary_key=True)
    min_annual_purchases = models.DecimalField(
        _("minimum annual purchases (CNY)"), max_digits=14, decimal_places=0, default=0
    )
    cadence_days = models.PositiveSmallIntegerField(_("contact every (days)"), validators=[MinValueValidator(1)])
    onsite_interval_days = models.PositiveSmallIntegerField(
        _("on-site visit every (days)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for no on-site rule."),
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        _("escalate to the manager after (days overdue)"),
        default=7,
        validators=[MinValueValidator(1)],
    )

    DEFAULTS = {
        Grade.A: {
            "min_annual_purchases": Decimal(1_000_000),
            "cadence_days": 7,
            "onsite_interval_days": 30,
            "escalate_after_days": 3,
        },
        Grade.B: {
            "min_annual_purchases": Decimal(300_000),
            "cadence_days": 14,
            "onsite_interval_days": None,
            "escalate_after_days": 5,
        },
        Grade.C: {
            "min_annual_purchases": Decimal(0),
            "cadence_days": 30,
            "onsite_interval_days": None,
            "escalate_after_days": 7,
        },
    }

    class Meta:
        ordering = ["grade"]
        verbose_name = _("grade rule")
        verbose_name_plural = _("grade policy")

    def __str__(self):
        return self.get_grade_display()

    @property
    def cadence_text(self):
        if self.onsite_interval_days:
            return _("Contact every %(days)s days; on-site visit every %(onsite)s days.") % {
                "days": self.cadence_days,
                "onsite": self.onsite_interval_days,
            }
        return _("Contact every %(days)s days.") % {"days": self.cadence_days}

    @classmethod
    def policy(cls):
        """The rules by grade, with the DOMAIN defaults for any grade an admin has not saved."""
        rules = {rule.grade: rule for rule in cls.objects.all()}
        for grade, defaults in cls.DEFAULTS.items():
            rules.setdefault(grade, cls(grade=grade, **defaults))
        return rules


def people_ids(user) -> list[int]:
    """The ids of the people whose customers `user` sees, read once per user object, as Django keeps a user's
    permissions: a request's user is loaded for that request, and the search box names them in three queries."""
    if not hasattr(user, "_people_ids"):
        user._people_ids = list(User.objects.visible_to(user).values_list("pk", flat=True))
    return user._people_ids


class CustomerQuerySet(models.QuerySet):
    _holders = None  # the condition on `owner` these customers were chosen by (held_as), kept by every clone

    def visible_to(self, user, *, people_as_ids=False):
        """Customers whose full card `user` may see: their people's customers and the pool.

        people_as_ids: a manager's people read first (one query) and named by id: PostgreSQL then estimates the
        rows from the owner column's statistics (14,400 for 14,500 at 100,000 customers), where a subquery leaves
        it guessing (55,000). The customer list, the search box and the name suggestions read them so: a search's
        matches come from a subquery (0031), and under a subquery of people too PostgreSQL guessed half the company
        visible and walked the holders' index from its start, hoping to meet 200 matches early (26 -> 89 ms for
        "nbj" in the box at 1,000,000)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        if user.is_rep:
            # The same rule as below, spelled with the rep's own id: PostgreSQL can then combine two index
            # scans (owner = me, owner IS NULL) instead of scanning every customer (list count 94 -> 30 ms).
            return self.held_as(Q(owner=user) | Q(owner__isnull=True))
        people = people_ids(user) if people_as_ids else User.objects.visible_to(user)
        return self.held_as(Q(owner__in=people) | Q(owner__isnull=True))

    def with_visible(self, user, *, people_as_ids=False):
        """These customers, each with `visible`: whether `user` may see its card, as `visible_to` decides (the same
        condition, as a column), so that one read of some matches can be split into the visible and the hidden."""
        visible = self.visible_to(user, people_as_ids=people_as_ids)
        if visible.query.is_empty():
            condition = Value(False)
        elif visible._holders is None:  # an administrator: every customer
            condition = Value(True)
        else:
            condition = ExpressionWrapper(visible._holders, output_field=models.BooleanField())
        return self.annotate(visible=condition)

    def hidden_from(self, user, *, people_as_ids=False):
        """Customers `user` may not see (held by someone outside their people): the rest of `visible_to`.
        Search names them only as "already registered: X holds it", as the duplicate check does."""
        if not user.is_authenticated or not user.is_active:
            return self.all()
        if user.is_admin:
            return self.none()
        if user.is_rep:
            return self.held_as(Q(owner__isnull=False) & ~Q(owner=user))
        people = people_ids(user) if people_as_ids else User.objects.visible_to(user)
        return self.held_as(Q(owner__isnull=False) & ~Q(owner__in=people))

    def held_as(self, holders: Q):
        """These customers held as `holders` says (a condition on `owner`), remembered for a search to ask of the
        names' table too (CustomerSearchName.owner), so that it hands over only the matches held so."""
        customers = self.filter(holders)
        customers._holders = holders if self._holders is None else self._holders & holders
        return customers

    def _clone(self):
        clone = super()._clone()
        clone._holders = self._holders
        return clone

    def held_by_people_who_left(self):
        """Customers whose holder is inactive or departed: stranded, since nobody serves them (DOMAIN §5.8)."""
        return self.filter(Q(owner__is_active=False) | Q(owner__departed_at__isnull=False))

    def editable_by(self, user):
        """Customers `user` may change: a rep their own; managers also their team's and the pool."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_rep:
            return self.filter(owner=user)
        return self.visible_to(user)

    def overdue(self, today=None):
        """Customers whose next follow-up date has passed."""
        return self.filter(next_follow_up_on__lt=today or timezone.localdate())

    def search(self, text, *, some=None):
        """Match name (also normalized, pinyin and initials), credit code or phone.

        some: only some of the matches are wanted (the search box ranks at most a few hundred): on PostgreSQL each
        way of matching hands over at most that many, so that a broad query does not gather every match first."""
        text = text.strip()
        if not text:
            return self
        if connections[self.db].vendor == "postgresql" and is_chinese_search(text):
            return self._search_chinese(text, some)
        lowered = text.lower()
        keys = [Q(credit_code__istartswith=text)]
        if is_too_short_to_find_inside(text):
            # At a name's start, its initials' or a credit code's. (One Chinese character still means something
            # anywhere in a name: 鼎 finds 厦门鼎联, slowly.)
            if text.isalpha():
                keys.append(Q(name_initials__startswith=lowered))
            return self._matching(Q(name__istartswith=text), keys, some=some)
        names = Q(name__icontains=text)
        normalized = normalize_name(text)
        if len(normalized) >= SHORTEST_INFIX:
            names |= Q(name_normalized__contains=normalized)
        if lowered.isascii() and lowered.isalpha():
            names |= Q(name_pinyin__contains=lowered)
            keys.append(Q(name_initials__startswith=lowered))
        digits = normalize_phone(text)
        phones = CustomerPhone.objects.filter(number__contains=digits) if len(digits) >= SHORTEST_INFIX else None
        return self._matching(names, keys, phones, some=some)

    def _matching(self, names, keys, phones=None, *, some=None):
        """The customers whose names match `names` (a condition on CustomerSearchName's columns, which are also the
        customer's), whose own columns match one of `keys`, or with a phone among `phones`."""
        if connections[self.db].vendor != "postgresql":
            condition = names
            for key in keys:
                condition |= key
            if phones is not None:
                condition |= Exists(phones.filter(customer=OuterRef("pk")))
            return self.filter(condition)
        # One UNION of indexed lookups, each in its own table: an OR across the tables would read every customer.
        # Each key its own branch, which an index holding the id and the holder (customer_initials_prefix) serves
        # without reading a row: within a manager's customers, 695 of the 4,911 whose initials start with "nbj"
        # at 1,000,000, which the outer query then reads once (the list searched so: 65 -> 40 ms).
        found = [self.filter(key).order_by().values("pk") for key in keys]
        if phones is not None:
            found.append(phones.order_by().values("customer"))
        found.insert(0, self._names_held(names).order_by().values("customer"))
        if some:
            found = [branch[:some] for branch in found]
        return self.filter(pk__in=found[0].union(*found[1:]))

    def _names_held(self, names):
        """The names' table's rows matching `names`, of the customers held as these are: a manager's matches are
        then told from the others on that small table, without reading each match's customer row (0033)."""
        matching = CustomerSearchName.objects.filter(names)
        return matching if self._holders is None else matching.filter(self._holders)

    def _search_chinese(self, text, some=None):
        """Chinese text (no pinyin, code or phone to match) through the search_name_bigrams index.

        Candidates hold every two-character piece of the text; LIKE then keeps those holding it whole.
        """
        normalized = normalize_name(text)
        pieces = bigrams(normalized) & bigrams(text)
        matches = Q(name__icontains=text) | (Q(name_normalized__contains=normalized) if normalized else Q())
        names = self._names_held(Q())
        if pieces:
            names = names.alias(name_bigrams=NameBigrams()).filter(name_bigrams__contains=sorted(pieces))
        # Two characters are their one piece: a name holding it holds the text, nothing to check again. The LIKEs
        # also made PostgreSQL multiply two guesses into one row (of 1,131), and join the owners by looping over the
        # users for each row (18 ms at 1,000,000 customers).
        if pieces != {text}:
            names = names.filter(matches)
        return self.filter(pk__in=names.values("customer")[:some] if some else names.values("customer"))


# pg_trgm finds a text inside a longer one by its three-character pieces: two letters or digits would read every
# name in the index (2 s for "jx" at 1,000,000 customers). Two Chinese characters have their own bigram index.
SHORTEST_INFIX = 3


def is_too_short_to_find_inside(text: str) -> bool:
    """Two ASCII letters or digits ("jx", "3m"): matched at the start of a name or of its initials only."""
    return len(text) < SHORTEST_INFIX and text.isascii()


def name_starting_with(text: str) -> Q:
    """A contact's name, or its initials, starting with `text`."""
    condition = Q(name__istartswith=text)
    if text.isalpha():
        condition |= Q(name_initials__startswith=text.lower())
    return condition


CHINESE_CHARACTER = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def is_chinese_search(text: str) -> bool:
    """Two or more characters, all of them Chinese (spaces allowed): how people search Chinese company names."""
    letters = "".join(text.split())
    return len(letters) >= 2 and all(CHINESE_CHARACTER.match(character) for character in letters)


def bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


class Customer(models.Model):
    name = models.CharField(_("company name"), max_length=200)
    # Indexed in Meta (equality only): db_index=True would add a varchar_pattern_ops twin no query uses, one more
    # index every bulk change of holders writes.
    name_normalized = models.CharField(_("normalized name"), max_length=200, editable=False)
    name_pinyin = models.CharField(max_length=400, editable=False, blank=True)
    name_initials = models.CharField(max_length=200, editable=False, blank=True)
    group_name = models.CharField(
        _("group company"),
        max_length=200,
        blank=True,
        help_text=_("The group (集团) this company belongs to, if any: members of one group are one customer."),
    )
    group_key = models.CharField(max_length=200, editable=False, blank=True)  # indexed in Meta, as name_normalized
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices, blank=True)
    region = models.CharField(_("province / region"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phones = models.CharField(
        _("phones"), max_length=255, blank=True, help_text=_("Several numbers separated by commas.")
    )
    website = models.URLField(_("website"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        db_index=False,  # customer_referred_by, of the few customers referred
    )
    annual_purchases = models.DecimalField(
        _("estimated annual purchases (CNY)"),
        max_digits=14,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    share_of_wallet = models.PositiveSmallIntegerField(
        _("share of wallet (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Our share of the customer's equipment spend."),
    )
    relationship_level = models.CharField(
        _("relationship level"),
        max_length=20,
        choices=RelationshipLevel.choices,
        default=RelationshipLevel.ORDINARY,
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROSPECT)
    is_strategic = models.BooleanField(_("strategic partner (industry leader)"), default=False)
    is_high_growth = models.BooleanField(_("high-growth potential"), default=False)
    man_money = models.BooleanField(_("money: can buy"), default=False)
    man_authority = models.BooleanField(_("authority: we reach the decider"), default=False)
    man_need = models.BooleanField(_("need: has a real need"), default=False)
    need = models.TextField(_("customer's need"), blank=True, help_text=_("What they want to buy or solve."))
    notes = models.TextField(_("notes"), blank=True)

    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, default=Grade.C)
    grade_overridden = models.BooleanField(_("grade set by a manager"), default=False)

    # No index of its own: customer_owner_visibility (owner, id) serves every lookup by holder, and every change
    # of holders (the lapse sweep's 111,000 customers at 1,000,000) wrote a new entry in both.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    # Kept by the claims app with every ownership change, so the pool page filters without joins.
    pool_since = models.DateTimeField(_("in the pool since"), null=True, blank=True)
    pool_reason = models.CharField(_("why in the pool"), max_length=20, choices=PoolReason.choices, blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="customer_unique_credit_code",
                violation_error_message=_("A customer with this credit code is already registered."),
            ),
            models.CheckConstraint(
                condition=Q(share_of_wallet__isnull=True) | Q(share_of_wallet__lte=100),
                name="customer_share_of_wallet_percent",
            ),
        ]
        indexes = [
            models.Index(fields=["next_follow_up_on"]),
            # PostgreSQL only (crm/indexes.py); each was built by the migration named, which says why.
            # The name's trigram and bigram indexes are CustomerSearchName's, off the row a change of holder writes.
            # Initials are only matched at their start (LIKE 'nb%'): a range of a B-tree, where their trigrams
            # gave every name starting so as a bitmap (36,731 for "nb" at 1,000,000, 7.6 ms) and cost every
            # change of holder a GIN entry per trigram (0029).
            # With the id and the holder: the searches take the visible matches from the index alone (0031).
            PostgresIndex(
                fields=["name_initials"],
                opclasses=["text_pattern_ops"],
                include=["id", "owner"],
                name="customer_initials_prefix",
            ),
            # The duplicate check's and the import's exact lookups.
            models.Index(fields=["name_normalized"], name="customer_name_normalized"),
            # Partial: most customers belong to no group and were referred by nobody, and an index entry of theirs
            # would only be written again at every change of holder (0030).
            models.Index(fields=["group_key"], name="customer_group_key", condition=~Q(group_key="")),
            models.Index(fields=["referred_by"], name="customer_referred_by", condition=Q(referred_by__isnull=False)),
            # The pool, newest arrivals first (0013).
            PostgresIndex(
                F("pool_since").desc(nulls_last=True), F("id"), name="customer_pool_newest", condition=Q(owner=None)
            ),
            # Credit codes by their start: UPPER(credit_code) LIKE '…%' (0015).
            PostgresIndex(OpClass(Upper("credit_code"), name="text_pattern_ops"), name="customer_credit_code_upper"),
            # The list's order: page 1 of the 25,000 customers a manager sees walks this index (1 ms)
            # instead of sorting them all (88 ms at 100,000 customers). With the holder, an old `?page=N` link
            # skips its rows in the index alone (crm/paging.py, 0032). A change of holder writes every index anyway.
            models.Index(fields=["name", "id"], name="customer_name_order", include=["owner"]),
            # Visibility (owner in my people, or none) as an index-only scan that also yields the ids other
            # tables join on: the complaint list's count fell from 110 ms to 19 ms at 100,000 customers.
            models.Index(fields=["owner", "id"], name="customer_owner_visibility"),
            # The board's counts per grade and overdue: an index-only scan of the team's customers (8 ms -> 1 ms).
            models.Index(fields=["owner", "grade", "next_follow_up_on"], name="customer_board_counts"),
            # A board column: one grade in due order, so its 20 most overdue are found after a few hundred
            # entries instead of walking every grade's due days (6 ms -> under 1 ms per column).
            models.Index(fields=["grade", "next_follow_up_on"], name="customer_board_column"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.credit_code = clean_credit_code(self.credit_code)
        self.name_normalized = normalize_name(self.name)
        self.group_key = normalize_name(self.group_name) if self.group_name else ""
        self.name_pinyin, self.name_initials = pinyin_keys(self.name)
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "phones" in update_fields:
            self.sync_phone_numbers()

    @classmethod
    def from_db(cls, db, field_names, values):
        customer = super().from_db(db, field_names, values)
        customer._stored_phones = customer.__dict__.get("phones")  # None when deferred: unknown
        return customer

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "phones" in fields:
            self._stored_phones = self.__dict__.get("phones")

    def sync_phone_numbers(self):
        """Keep the searchable phone numbers in step with the free-text field, when it changed since it was read
        (an ownership or date change saves the customer often and leaves the phone table alone)."""
        if self.phones == getattr(self, "_stored_phones", None):
            return
        numbers = split_phones(self.phones)
        CustomerPhone.objects.filter(customer=self).exclude(number__in=numbers).delete()
        CustomerPhone.objects.bulk_create(
            [CustomerPhone(customer=self, number=number) for number in numbers], ignore_conflicts=True
        )
        self._stored_phones = self.phones

    sync_phone_numbers.alters_data = True

    @property
    def phones_list(self):
        """The phone numbers as typed, one per entry, for display and tap-to-call."""
        return phone_numbers(self.phones)

    @property
    def is_overdue(self):
        return self.next_follow_up_on is not None and self.next_follow_up_on < timezone.localdate()

    # --- grading -----------------------------------------------------------

    def suggested_grade(self, policy=None):
        """The grade the facts earn (模板2): amount thresholds, or A for strategic / high-growth."""
        policy = policy or GradeRule.policy()
        if self.is_strategic or self.is_high_growth:
            return Grade.A
        amount = self.annual_purchases or 0
        if amount >= policy[Grade.A].min_annual_purchases:
            return Grade.A
        if amount >= policy[Grade.B].min_annual_purchases:
            return Grade.B
        return Grade.C

    @property
    def grade_differs_from_suggestion(self):
        return self.grade != self.suggested_grade()

    # --- qualification and strategy ------------------------------------------

    HIGH_SHARE_OF_WALLET = 50  # percent: above this we already have most of their spend

    @property
    def man_score(self):
        return sum([self.man_money, self.man_authority, self.man_need])

    @property
    def man_verdict(self):
        """The MAN rule (客户开发): all three ideal, two work on the third, none stop."""
        missing = [
            label
            for label, present in [
                (_("money"), self.man_money),
                (_("authority"), self.man_authority),
                (_("need"), self.man_need),
            ]
            if not present
        ]
        if not missing:
            return "ideal", _("Ideal target: money, authority and need are all there.")
        if len(missing) == 1:
            return "develop", _("Keep in contact and work on the missing one: %(missing)s.") % {"missing": missing[0]}
        if len(missing) == 2:
            return "nurture", _("Only one of three: nurture it, but do not over-invest.")
        return "stop", _("None of money, authority or need: stop spending time here.")

    @property
    def quadrant(self):
        """The attack/defend view (攻守模型), or None while purchases or share are unknown."""
        if self.annual_purchases is None or self.share_of_wallet is None:
            return None
        high_power = self.is_strategic or self.annual_purchases >= GradeRule.DEFAULTS[Grade.A]["min_annual_purchases"]
        high_share = self.share_of_wallet >= self.HIGH_SHARE_OF_WALLET
        if high_power:
            return ("defend", _("Defend")) if high_share else ("attack", _("Attack"))
        return ("maintain", _("Maintain")) if high_share else ("let_go", _("Consider letting go"))

    def role_coverage(self, contacts):
        """Which of the four buying roles `contacts` cover, in the order the manuals list them."""
        present = {contact.buying_role for contact in contacts}
        return [(role, role.label, role in present) for role in BuyingRole.influencers()]

    def missing_key_roles(self, contacts):
        present = {contact.buying_role for contact in contacts}
        return [role.label for role in (BuyingRole.DECISION_MAKER, BuyingRole.COACH) if role not in present]

    def schedule_from_cadence(self, policy=None):
        """Next follow-up from the grade cadence, counted from the last contact (or registration)."""
        policy = policy or GradeRule.policy()
        start = self.last_contact_on or timezone.localdate(self.created_at)
        self.next_follow_up_on = start + datetime.timedelta(days=policy[self.grade].cadence_days)


class CustomerSearchName(models.Model):
    """A customer's name as the searches match it (as written, normalized, in pinyin), with the trigram and bigram
    indexes that find a text inside it: kept equal to the customer's own columns by triggers (crm/search_names.py)
    on PostgreSQL, where the searches read it; empty on SQLite, which searches the customers' columns.

    Apart from the customer row because a change of holder writes every index on that row, and these four took 7
    of the 19 s of the lapse sweep's UPDATE at 1,000,000 customers; a name changes far more rarely than a holder.
    """

    # The key is the database's own (ON DELETE CASCADE, made by migration 0031): Django deletes nothing here.
    customer = models.OneToOneField(
        Customer, on_delete=models.DO_NOTHING, db_constraint=False, primary_key=True, related_name="search_name"
    )
    name = models.CharField(max_length=200)
    name_normalized = models.CharField(max_length=200)
    name_pinyin = models.CharField(max_length=400, blank=True)
    # The customer's holder, for a search to keep the matches a user may see (or may not) on this table. No index
    # holds it, so a change of holder rewrites the row in place (a heap-only update: fillfactor 80, 0033) and
    # writes no entry in the name's indexes.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )

    class Meta:
        indexes = [
            # Infix searches of names, normalized names and pinyin (UPPER(name) LIKE '%…%': case-insensitive).
            PostgresGinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="search_name_upper_trgm"),
            PostgresGinIndex(
                fields=["name_normalized"], opclasses=["gin_trgm_ops"], name="search_name_normalized_trgm"
            ),
            PostgresGinIndex(fields=["name_pinyin"], opclasses=["gin_trgm_ops"], name="search_name_pinyin_trgm"),
            # Two-character Chinese searches, which trigrams cannot serve.
            PostgresGinIndex(NameBigrams(), name="search_name_bigrams"),
        ]

    def __str__(self):
        return self.name


class PhoneQuerySet(models.QuerySet):
    """Phone rows of one phone table (CustomerPhone, ContactPhone), each served by an index of it."""

    def matching(self, digits):
        """The rows that the search box's `digits` find (`is_phone_tail`). A tail is a range of the index of the
        reversed numbers, as many rows as end so. Four digits anywhere in a number match eight times as many
        numbers, and the trigram index gives them only as a bitmap to recheck row by row (297 ms at a million
        customers' 4.3 million numbers); seven or more digits are rare enough anywhere that its candidates stay
        few."""
        if is_phone_tail(digits):
            return self.alias(reversed_number=Reverse("number")).filter(reversed_number__startswith=digits[::-1])
        return self.filter(number__contains=digits)

    def numbered(self, numbers):
        """The rows of exactly these numbers, through the reversed numbers' index (ContactPhone has no other)."""
        return self.alias(reversed_number=Reverse("number")).filter(reversed_number__in=[n[::-1] for n in numbers])


class CustomerPhone(models.Model):
    """A customer's phone number, normalized, for duplicate checks and search by phone."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phone_numbers")
    number = models.CharField(max_length=20, db_index=True)

    objects = PhoneQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "number"], name="customer_phone_unique")]
        indexes = [
            # Seven or more digits anywhere in a number, for the search box: LIKE '%…%' (PostgreSQL only).
            PostgresGinIndex(fields=["number"], opclasses=["gin_trgm_ops"], name="crm_customerphone_number_trgm"),
            # A number's last four to six digits (尾号): LIKE '…%' on the reversed number (PhoneQuerySet).
            PostgresIndex(OpClass(Reverse("number"), name="text_pattern_ops"), name="customerphone_number_tail"),
        ]

    def __str__(self):
        return self.number


class GradeChange(SystemReasonFields):
    """Append-only record of every grade a customer was given, by whom and why."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="grade_changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    from_grade = models.CharField(max_length=1, choices=Grade.choices, blank=True)
    to_grade = models.CharField(max_length=1, choices=Grade.choices)
    is_override = models.BooleanField(default=False)
    reason = models.TextField()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")

    def __str__(self):
        return f"{self.customer}: {self.from_grade or '-'} → {self.to_grade}"

    @property
    def reason_display(self):
        """Why, in the reader's language (the system's words) and as typed (a manager's)."""
        return show(self.reason_code, self.reason_params, self.reason)


class BuyingRole(models.TextChoices):
    USER = "user", _("User")
    COACH = "coach", _("Coach")
    TECHNICAL = "technical", _("Technical gatekeeper")
    DECISION_MAKER = "decision_maker", _("Decision maker")
    OTHER = "other", _("Other")

    @classmethod
    def influencers(cls):
        """The four buying influences every big deal has (四类购买影响者)."""
        return [cls.DECISION_MAKER, cls.TECHNICAL, cls.USER, cls.COACH]


class Attitude(models.TextChoices):
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    OPPONENT = "opponent", _("Opponent")


class Influence(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class CommunicationStyle(models.TextChoices):
    DRIVER = "driver", _("Driver")
    ANALYTICAL = "analytical", _("Analytical")
    EXPRESSIVE = "expressive", _("Expressive")
    AMIABLE = "amiable", _("Amiable")


COMMUNICATION_ADVICE = {
    CommunicationStyle.DRIVER: _("Be brief and lead with the benefits."),
    CommunicationStyle.ANALYTICAL: _("Bring facts, logic and details."),
    CommunicationStyle.EXPRESSIVE: _("Build the relationship and share the vision."),
    CommunicationStyle.AMIABLE: _("Offer safety and reassurance."),
}


class ContactQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Contacts made in bulk (demo data, spreadsheet import) get the search keys and phone rows save() gives."""
        contacts = list(objs)
        for contact in contacts:
            contact.set_name_keys()
        created = super().bulk_create(contacts, *args, **kwargs)
        ContactPhone.objects.bulk_create(ContactPhone.rows_for(created), ignore_conflicts=True)
        return created

    def matching_name(self, text):
        """Contacts whose name holds `text`, or whose name's pinyin holds it (or initials start with it).

        Chinese names are two or three characters, too short for trigrams: two or more Chinese characters
        go through the contact_name_bigrams index as customer names do."""
        letters = "".join(text.split())
        if connections[self.db].vendor == "postgresql" and is_chinese_search(letters):
            return self.alias(name_bigrams=TextBigrams("name")).filter(
                name__contains=letters, name_bigrams__contains=sorted(bigrams(letters))
            )
        lowered = letters.lower()
        if is_too_short_to_find_inside(letters):
            return self.filter(name_starting_with(letters))
        condition = Q(name__icontains=text)
        if lowered.isascii() and lowered.isalpha():
            condition |= Q(name_initials__startswith=lowered) | Q(name_pinyin__contains=lowered)
        return self.filter(condition)


class Contact(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    phones = models.CharField(_("phones"), max_length=255, blank=True)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=100, blank=True)
    buying_role = models.CharField(
        _("buying role"), max_length=20, choices=BuyingRole.choices, default=BuyingRole.OTHER
    )
    attitude = models.CharField(_("attitude to us"), max_length=20, choices=Attitude.choices, blank=True)
    influence = models.CharField(_("influence"), max_length=10, choices=Influence.choices, blank=True)
    communication_style = models.CharField(
        _("communication style"), max_length=20, choices=CommunicationStyle.choices, blank=True
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    # Search keys, kept by save() and bulk_create(): 王晓明 is found by wangxiaoming and wxm.
    name_pinyin = models.CharField(max_length=400, editable=False, blank=True)
    name_initials = models.CharField(max_length=200, editable=False, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_customer",
                violation_error_message=_("This customer already has a primary contact."),
            ),
        ]
        indexes = [
            # PostgreSQL only (crm/indexes.py): the search box's infix and pinyin searches of contact names,
            # and two-character Chinese names, which trigrams cannot serve.
            *[
                PostgresGinIndex(fields=[field], opclasses=["gin_trgm_ops"], name=f"crm_contact_{field}_trgm")
                for field in ("name_pinyin",)
            ],
            # Initials match at their start only: a B-tree range, as for customers (0029).
            PostgresIndex(fields=["name_initials"], opclasses=["text_pattern_ops"], name="contact_initials_prefix"),
            # name__icontains is UPPER(name) LIKE UPPER('%…%'), as for customers.
            PostgresGinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="contact_name_upper_trgm"),
            PostgresGinIndex(TextBigrams("name"), name="contact_name_bigrams"),
            # The board's cards ask of each customer shown whether a decision maker is named: with this index the
            # planner probes per card; without it, it read every decision maker of the company into a hash
            # (50 ms at 100,000 customers, 300 ms at 1,000,000).
            models.Index(fields=["customer"], condition=Q(buying_role="decision_maker"), name="contact_decision_maker"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.set_name_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin", "name_initials"}
        super().save(*args, **kwargs)
        if update_fields is None or "phones" in update_fields:
            self.sync_phone_numbers()

    def set_name_keys(self):
        self.name_pinyin, self.name_initials = person_name_keys(self.name)

    @classmethod
    def from_db(cls, db, field_names, values):
        contact = super().from_db(db, field_names, values)
        contact._stored_phones = contact.__dict__.get("phones")  # None when deferred: unknown
        return contact

    def sync_phone_numbers(self):
        """Keep the searchable phone numbers in step with the free-text field, as Customer.sync_phone_numbers."""
        if self.phones == getattr(self, "_stored_phones", None):
            return
        numbers = split_phones(self.phones)
        ContactPhone.objects.filter(contact=self).exclude(number__in=numbers).delete()
        ContactPhone.objects.bulk_create(ContactPhone.rows_for([self]), ignore_conflicts=True)
        self._stored_phones = self.phones

    sync_phone_numbers.alters_data = True

    @property
    def communication_advice(self):
        return COMMUNICATION_ADVICE.get(self.communication_style, "")


class ContactPhone(models.Model):
    """A contact's phone number, normalized (digits only), for search by its last digits or any seven of it."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phone_numbers")
    number = models.CharField(max_length=20)

    objects = PhoneQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "number"], name="contact_phone_unique")]
        indexes = [
            # As CustomerPhone's: seven or more digits anywhere, and the last four to six (PostgreSQL only).
            PostgresGinIndex(fields=["number"], opclasses=["gin_trgm_ops"], name="crm_contactphone_number_trgm"),
            PostgresIndex(OpClass(Reverse("number"), name="text_pattern_ops"), name="contactphone_number_tail"),
        ]

    def __str__(self):
        return self.number

    @classmethod
    def rows_for(cls, contacts):
        """The phone rows of saved `contacts`, from their free-text phones field."""
        return [
            cls(contact=contact, number=number)
            for contact in contacts
            if contact.pk
            for number in split_phones(contact.phones)
        ]


# The search box shows 10 of them; the rest stand in for ones the user may no longer see.
RECENT_CUSTOMERS_KEPT = 20


class RecentCustomerQuerySet(models.QuerySet):
    def note(self, *, user, customer):
        """`user` opened or logged `customer` just now: one upsert, then the oldest beyond the kept few go."""
        self.bulk_create(
            [RecentCustomer(user=user, customer=customer, seen_at=timezone.now())],
            update_conflicts=True,
            unique_fields=["user", "customer"],
            update_fields=["seen_at"],
        )
        kept = self.filter(user=user).order_by("-seen_at", "-pk").values("pk")[:RECENT_CUSTOMERS_KEPT]
        self.filter(user=user).exclude(pk__in=kept).delete()

    note.alters_data = True


class RecentCustomer(models.Model):
    """A customer a user recently opened or logged a visit for: shown in the empty search box."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="recent_views")
    seen_at = models.DateTimeField(default=timezone.now)

    objects = RecentCustomerQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "customer"], name="recent_customer_unique")]
        indexes = [models.Index(fields=["user", "-seen_at"], name="recent_customer_user_seen")]

    def __str__(self):
        return f"{self.user} · {self.customer}"


class JobHeartbeat(models.Model):
    """When each scheduled job last ran, so admins can see the worker is alive."""

    name = models.CharField(_("job"), max_length=100, unique=True)
    last_run_at = models.DateTimeField(_("last run at"))
    runs = models.PositiveIntegerField(_("runs"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("job heartbeat")
        verbose_name_plural = _("job heartbeats")

    def __str__(self):
        return self.name

    @classmethod
    def beat(cls, name, at=None):
        """Record one run of job `name` (that started `at`, default now); safe when two workers run it at once."""
        now = at or timezone.now()
        obj, created = cls.objects.get_or_create(name=name, defaults={"last_run_at": now, "runs": 1})
        if not created:
            cls.objects.filter(pk=obj.pk).update(last_run_at=now, runs=models.F("runs") + 1)


class NotificationKind(models.TextChoices):
    CLAIM_LAPSED = "claim_lapsed", _("Protection lapsed: the customer went to the pool")
    CLAIM_LAPSING = "claim_lapsing", _("Protection lapses soon: log a follow-up to renew it")
    CUSTOMER_ASSIGNED = "customer_assigned", _("A customer was assigned to you")
    CUSTOMER_TAKEN = "customer_taken", _("A customer was moved away from you")
    DISPUTE_OPENED = "dispute_opened", _("An ownership dispute was opened")
    DISPUTE_DECIDED = "dispute_decided", _("An ownership dispute was decided")
    COMPLAINT_RECORDED = "complaint_recorded", _("A complaint was recorded on your customer")
    COMPLAINT_ON_A_CUSTOMER = "complaint_a_customer", _("Complaint from an A customer")
    COMPLAINT_ASSIGNED = "complaint_assigned", _("A complaint was assigned to you")
    COMPLAINT_OVERDUE = "complaint_overdue", _("A complaint has not been answered in time")
    STRANDED_CUSTOMERS = "stranded_customers", _("Customers held by someone who has left")


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(SystemReasonFields):
    """Something a person should know, shown in the app. The kind is translated when shown."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    link = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()}"

    @property
    def detail_display(self):
        return show(self.reason_code, self.reason_params, self.detail)
