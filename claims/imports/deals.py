"""What the import needs to read deals (the pipeline's export, crm.deals.exports) rather than customers.

The upload, the dry run, the confirmation, the row-by-row import and the error report are the customer import's
(services.py); this module says which columns a deal file has, what a row must hold, and how a good row
becomes a deal: through crm.deals' services, in the row's one transaction, so a refused step leaves nothing.

A row names the customer by credit code or exact name; it must be one the importer sees and may open deals on.
The deal opens in the first stage and moves on to the row's stage as a manager moves it (the requirements
it passes over are kept in its history, with the file as the reason); its lines, or else its amount as one line,
are added before the move.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import User
from crm.deals.exports import DEAL_COLUMNS, LINE_COLUMNS, line_title
from crm.deals.forms import LineForm, OpportunityForm
from crm.deals.models import Opportunity, OpportunityLine, Requirement, Stage
from crm.deals.permissions import can_create_deal, can_work_deal
from crm.deals.services import (
    missing_requirements,
    opportunity_create,
    opportunity_move,
    opportunity_part_delete,
    opportunity_part_save,
    opportunity_update,
)
from crm.models import Customer

from .checks import RowRefused, parse_amount
from .parsing import ERRORS_COLUMN, match_headers, normalize_title, refuse_missing_columns

MAX_LINE_GROUPS = 30
# Fields of the deal form a row fills; the rest of the form keeps its defaults.
FORM_FIELDS = ("title", "expected_close_on", "probability", "next_step", "next_step_due", "notes")
LINE_FIELDS = ("product", "model", "quantity", "unit_price")


@dataclass(frozen=True)
class DealTarget:
    field: str
    line: int = 0  # 0: the deal; n: line group n


@lru_cache(maxsize=1)
def _titles() -> dict[str, DealTarget | None]:
    """Every title the deal export writes, in every language, and every field name; None for columns not read."""
    titles: dict[str, DealTarget | None] = {ERRORS_COLUMN: None}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            titles[normalize_title(_("Errors"))] = None
            for column in DEAL_COLUMNS:
                titles[normalize_title(str(column.title))] = DealTarget(column.field) if column.field else None
            for number in range(1, MAX_LINE_GROUPS + 1):
                for column in LINE_COLUMNS:
                    titles[normalize_title(line_title(number, column))] = DealTarget(column.field, number)
    for column in DEAL_COLUMNS:
        if column.field:
            titles.setdefault(column.field, DealTarget(column.field))
    return titles


@dataclass
class DealLayout:
    headers: list[str]
    deal: dict[str, int] = field(default_factory=dict)  # field → index
    lines: dict[int, dict[str, int]] = field(default_factory=dict)  # group → field → index
    ignored: list[str] = field(default_factory=list)


def read_deal_layout(headers: list[str]) -> DealLayout:
    deal, lines, ignored = match_headers(headers, _titles(), lambda target: (target.line, target.field))
    layout = DealLayout(headers=headers, deal=deal, lines=lines, ignored=ignored)
    titles_by_field = {column.field: str(column.title) for column in DEAL_COLUMNS if column.field}
    missing = [titles_by_field[name] for name in ("title", "expected_close_on") if name not in layout.deal]
    if "customer" not in layout.deal and "credit_code" not in layout.deal:
        missing.insert(0, titles_by_field["customer"])
    refuse_missing_columns(missing)
    return layout


@dataclass
class DealRowCheck:
    """What a row would become (a customer, the deal form's data, the lines, the stage) or why it cannot."""

    customer: Customer | None = None
    existing: Opportunity | None = None  # the deal the row's ID names, which it changes
    form: OpportunityForm | None = None
    lines: list[OpportunityLine] = field(default_factory=list)
    stage: Stage | None = None
    errors: list[list[str]] = field(default_factory=list)
    warnings: list[list[str]] = field(default_factory=list)

    def error(self, title, message):
        self.errors.append([str(title), str(message)])

    def warn(self, title, message):
        self.warnings.append([str(title), str(message)])

    def values(self) -> dict:
        # The CRM may change between the dry run and the import (a customer released, a stage retired): the
        # import checks every row again, cheaply, rather than trusting what the dry run stored.
        return {} if self.errors else {"recheck": True}


class DealRowChecker:
    """Checks the rows of one deal file for one importer."""

    def __init__(self, *, actor: User, layout: DealLayout, in_file: bool = True):
        self.actor = actor
        self.layout = layout
        self.customers = Customer.objects.visible_to(actor).select_related("owner__team")
        self.stages = Stage.objects.in_use()
        self.stage_names = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                for stage in self.stages:
                    self.stage_names.setdefault(normalize_title(stage.name), stage)
        for stage in self.stages:
            for name in (stage.name_en, stage.name_zh):
                if name:
                    self.stage_names.setdefault(normalize_title(name), stage)

    def remember(self, good_rows):
        """Rows of a deal file do not depend on each other: nothing to carry between runs of the dry run."""

    def _cell(self, cells, name, group=None):
        index = (self.layout.lines.get(group, {}) if group else self.layout.deal).get(name)
        return (cells[index] if index is not None and index < len(cells) else "").strip(), index

    def _title(self, index) -> str:
        return self.layout.headers[index] if index is not None else ""

    def check(self, cells: list[str], *, number: int, **_options) -> DealRowCheck:
        result = DealRowCheck()
        deal_id, index = self._cell(cells, "id")
        if deal_id:
            result.existing = self._existing(deal_id, self._title(index), result)
            if result.existing is None:
                return result
        self._check_customer(cells, result)
        self._check_stage(cells, result)
        self._check_form(cells, result)
        self._check_lines(cells, result)
        if result.errors or result.stage is None:
            return result
        if result.existing is not None:
            missing = missing_requirements(result.existing, result.stage, self.stages)
        elif result.stage.order > self.stages[0].order:
            entered = [stage for stage in self.stages if self.stages[0].order < stage.order <= result.stage.order]
            missing = Opportunity().missing_for(entered, [], has_lines=bool(result.lines))
        else:
            missing = []
        if missing:
            labels = pgettext("list separator", ", ").join(str(Requirement(code).label) for code in missing)
            result.warn(self._title(self._cell(cells, "stage")[1]), _(
                "Enters this stage without: %(missing)s (kept in the deal's history)."
            ) % {"missing": labels})  # fmt: skip
        return result

    def _existing(self, text, title, result) -> Opportunity | None:
        """The deal a row's ID names (an exported file uploaded again): one the importer sees, works and is open."""
        deals = Opportunity.objects.visible_to(self.actor).select_related("customer__owner__team", "stage")
        deal = deals.filter(pk=int(text)).first() if text.isascii() and text.isdigit() and len(text) < 19 else None
        if deal is None:
            result.error(title, _("No deal you can see has this ID: clear it to import the row as a new deal."))
        elif not can_work_deal(self.actor, deal):
            result.error(title, _("You may not change this deal."))
        elif not deal.is_open:
            result.error(title, _("This deal is closed: an import does not change it."))
        else:
            return deal
        return None

    def _check_customer(self, cells, result):
        code, code_index = self._cell(cells, "credit_code")
        name, name_index = self._cell(cells, "customer")
        if result.existing is not None:
            customer = result.existing.customer
            if (code and code.upper() != customer.credit_code) or (not code and name and name != customer.name):
                result.error(self._title(code_index if code else name_index),
                             _("The deal is another customer's: a deal keeps its customer."))  # fmt: skip
            result.customer = customer
            return
        if code:
            found, title = list(self.customers.filter(credit_code=code.upper())[:2]), self._title(code_index)
        elif name:
            found, title = list(self.customers.filter(name=name)[:2]), self._title(name_index)
        else:
            result.error(self._title(name_index), _("Name the customer (its credit code or its exact name)."))
            return
        if not found:
            result.error(title, _("No customer you can see has this credit code or name."))
        elif len(found) > 1:
            result.error(title, _("Several customers have this name: give the credit code."))
        elif not can_create_deal(self.actor, found[0]):
            message = (
                _("The customer is in the shared pool: claim it before opening a deal.")
                if found[0].owner_id is None
                else _("You may not open deals on this customer.")
            )
            result.error(title, message)
        else:
            result.customer = found[0]

    def _check_stage(self, cells, result):
        text, index = self._cell(cells, "stage")
        if not text:
            result.stage = result.existing.stage if result.existing is not None else self.stages[0]
        elif normalize_title(text) in self.stage_names:
            result.stage = self.stage_names[normalize_title(text)]
        else:
            names = pgettext("list separator", ", ").join(stage.name for stage in self.stages)
            result.error(self._title(index), _("No stage in use has this name. Stages: %(names)s.") % {"names": names})

    def _check_form(self, cells, result):
        data = {}
        for name in FORM_FIELDS:
            text, _index = self._cell(cells, name)
            if name == "probability":
                text = text.rstrip("%").strip()
            data[name] = text
        form = OpportunityForm(data, actor=self.actor)
        form.fields["next_step_owner"].required = False
        if not form.is_valid():
            for name, messages in form.errors.items():
                for message in messages:
                    result.error(self._title(self._cell(cells, name)[1]), message)
            return
        result.form = form

    def _check_lines(self, cells, result):
        for group in self.layout.lines:
            data = {name: self._cell(cells, name, group)[0] for name in LINE_FIELDS}
            if not any(data.values()):
                continue
            data["unit_price"] = parse_amount(data["unit_price"])
            data["quantity"] = data["quantity"] or "1"
            if not data["product"]:
                data["product"] = data["model"]
            form = LineForm(data)
            if form.is_valid():
                result.lines.append(form.save(commit=False))
                continue
            for name, messages in form.errors.items():
                for message in messages:
                    result.error(self._title(self._cell(cells, name, group)[1]), message)
        amount_text, index = self._cell(cells, "amount")
        if not amount_text:
            return
        amount_field = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0)
        try:
            amount = amount_field.clean(parse_amount(amount_text))
        except ValidationError as error:
            for message in error.messages:
                result.error(self._title(index), message)
            return
        if result.lines:
            listed = sum((line.quantity * line.unit_price for line in result.lines), Decimal(0))
            if listed != amount:
                result.error(self._title(index), _(
                    "The amount differs from the sum of the lines (%(sum)s): correct one or clear the amount."
                ) % {"sum": listed})  # fmt: skip
        elif amount:
            title, _index = self._cell(cells, "title")
            result.lines.append(OpportunityLine(product=title[:120] or _("Equipment"), quantity=1, unit_price=amount))


def import_deal_row(job, row, checker: DealRowChecker, people) -> tuple[dict, list]:
    """The row's deal, through the deals' services (inside the row's transaction: a refusal undoes it all)."""
    result = checker.check(row.cells, number=row.number)
    if result.errors:
        raise RowRefused(result.errors)
    actor = job.created_by
    reason = _("Imported from %(file)s, row %(row)s.") % {"file": job.file_name, "row": row.number}
    if result.existing is not None:
        return _update_deal(result, actor, reason)
    opportunity = result.form.save(commit=False)
    typed_probability = opportunity.probability
    opportunity.customer, opportunity.stage = result.customer, checker.stages[0]
    if typed_probability is not None and result.stage != checker.stages[0]:
        opportunity.probability = None  # the first stage's; set after the move
    if opportunity.next_step_owner_id is None and opportunity.next_step:
        opportunity.next_step_owner = actor
    opportunity = opportunity_create(opportunity=opportunity, actor=actor)
    for line in result.lines:
        line.opportunity = opportunity
        opportunity_part_save(part=line, actor=actor)
    if result.stage != checker.stages[0]:
        opportunity = opportunity_move(opportunity=opportunity, to_stage=result.stage, actor=actor, reason=reason)
        if typed_probability is not None and opportunity.probability != typed_probability:
            opportunity.probability = typed_probability
            opportunity = opportunity_update(opportunity=opportunity, actor=actor, changed=["probability"])
    return {"customer": result.customer, "opportunity": opportunity}, result.warnings


def _line_key(line) -> tuple:
    return (line.product, line.model, line.quantity, Decimal(line.unit_price))


def _update_deal(result: DealRowCheck, actor: User, reason: str) -> tuple[dict, list]:
    """An exported row uploaded again changes its deal: the typed fields, the lines when they differ, the stage."""
    deal = result.existing
    typed = {name: result.form.cleaned_data[name] for name in FORM_FIELDS}
    changed = [name for name, value in typed.items() if getattr(deal, name) != value]
    for name in changed:
        setattr(deal, name, typed[name])
    if typed["next_step"] and deal.next_step_owner_id is None:
        deal.next_step_owner = actor
        changed.append("next_step_owner")
    if changed:
        deal = opportunity_update(opportunity=deal, actor=actor, changed=changed)
    current = list(OpportunityLine.objects.filter(opportunity=deal).order_by("pk"))
    if result.lines and [_line_key(line) for line in current] != [_line_key(line) for line in result.lines]:
        for line in current:
            opportunity_part_delete(part=line, actor=actor)
        for line in result.lines:
            line.opportunity = deal
            opportunity_part_save(part=line, actor=actor)
    if result.stage != deal.stage:
        deal = opportunity_move(opportunity=deal, to_stage=result.stage, actor=actor, reason=reason)
        if typed["probability"] is not None and deal.probability != typed["probability"]:
            deal.probability = typed["probability"]
            deal = opportunity_update(opportunity=deal, actor=actor, changed=["probability"])
    return {"customer": result.customer, "opportunity": deal}, result.warnings
