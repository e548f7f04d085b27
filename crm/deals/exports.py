"""The deals spreadsheet (CSV or XLSX): what the pipeline's export writes and the deal import reads back.

One row per deal, its equipment lines side by side in numbered column groups (as the customer spreadsheet
holds contacts), so that a sales manager edits a deal on one row and uploads the file again. Stages are
named in the reader's language, amounts and quantities are numbers, dates are dates.
"""

import itertools

from django.db.models import Count, Max, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.exports import Column, spreadsheet_response, spreadsheet_safe

from .models import OpportunityLine, Stage

DEAL_COLUMNS = [
    Column(gettext_lazy("ID"), lambda d: d.pk, "id"),  # uploaded again, a row changes its deal
    Column(gettext_lazy("Customer"), lambda d: d.customer.name, "customer"),
    Column(gettext_lazy("Credit code"), lambda d: d.customer.credit_code, "credit_code"),
    Column(gettext_lazy("Deal"), lambda d: d.title, "title"),
    Column(gettext_lazy("Stage"), lambda d: d.stage_name, "stage"),
    Column(gettext_lazy("Probability (%)"), lambda d: d.probability, "probability", "percent"),
    Column(gettext_lazy("Expected close"), lambda d: d.expected_close_on, "expected_close_on", "date"),
    Column(gettext_lazy("Amount (CNY)"), lambda d: d.amount, "amount", "amount"),
    Column(gettext_lazy("Weighted (CNY)"), lambda d: d.weighted_amount),
    Column(gettext_lazy("Owner"), lambda d: str(d.customer.owner) if d.customer.owner else ""),
    Column(gettext_lazy("Days in the stage"), lambda d: d.days_in_stage(d.exported_at)),
    Column(gettext_lazy("Next step"), lambda d: d.next_step, "next_step"),
    Column(gettext_lazy("Next step due"), lambda d: d.next_step_due, "next_step_due", "date"),
    Column(gettext_lazy("Notes"), lambda d: d.notes, "notes"),
]

LINE_COLUMNS = [
    Column(gettext_lazy("machine or product"), lambda line: line.product, "product"),
    Column(gettext_lazy("model"), lambda line: line.model, "model"),
    Column(gettext_lazy("quantity"), lambda line: line.quantity, "quantity", "count"),
    Column(gettext_lazy("unit price (CNY)"), lambda line: line.unit_price, "unit_price", "amount"),
]


def line_title(number: int, column: Column) -> str:
    return _("Line %(number)s: %(field)s") % {"number": number, "field": column.title}


def header(line_groups: int) -> list[str]:
    titles = [str(column.title) for column in DEAL_COLUMNS]
    for number in range(1, line_groups + 1):
        titles += [line_title(number, column) for column in LINE_COLUMNS]
    return titles


def line_groups_needed(deals) -> int:
    """As many line column groups as the deal with the most lines needs (at least one)."""
    most = deals.order_by().annotate(line_count=Count("lines")).aggregate(most=Max("line_count"))["most"]
    return max(most or 0, 1)


def deal_cells(deal, line_groups: int) -> list:
    cells = [column.value(deal) for column in DEAL_COLUMNS]
    lines = list(deal.lines.all())
    for number in range(line_groups):
        if number < len(lines):
            cells += [column.value(lines[number]) for column in LINE_COLUMNS]
        else:
            cells += [""] * len(LINE_COLUMNS)
    return [spreadsheet_safe(value) for value in cells]


def rows(deals):
    """The titles, then a row per deal: a query for the widest deal and one for the stages' names, then a query
    for the deals and one for their lines per 2,000 deals, however many there are. Titles and stage names are
    read now, in the request's language, not later while the file streams."""
    line_groups = line_groups_needed(deals)
    titles = header(line_groups)
    stage_names = {stage.pk: stage.name for stage in Stage.objects.all()}
    now = timezone.now()
    deals = deals.select_related("customer__owner").prefetch_related(
        Prefetch("lines", queryset=OpportunityLine.objects.order_by("pk"))
    )

    def body():
        for deal in deals.iterator(chunk_size=2000):
            deal.exported_at, deal.stage_name = now, stage_names.get(deal.stage_id, "")
            yield deal_cells(deal, line_groups)

    return itertools.chain([titles], body())


def deal_export_response(deals, file_format, name="deals"):
    return spreadsheet_response(rows(deals), file_format, name=name, sheet=_("Deals"))
