"""The triggers that keep `DealTally` (each holder's deals by day or month) equal to a recount, on PostgreSQL, and
the one that keeps each deal's furthest stage from its history.

Only held customers' deals are tallied: the forecast counts a holder's or a team's (the pool's deals belong to
nobody's forecast), so a change of holder to or from the pool writes one side only, and the lapse sweep, which
hands 111,000 customers to the pool at 1,000,000, upserts half the rows it did.

Statement triggers with transition tables, as for the pipeline's totals (totals.py): one set-based upsert per
statement. Every deal gives one or two tally rows (an open deal: the day it entered its stage and the month it is
expected to close; a closed one: the month it closed with its furthest stage); a change to a deal takes its old
rows away and adds its new ones, a change of a customer's holder moves all its deals' rows from the old holder to
the new one. Rows are upserted in key order, so two transactions lock them in the same order.
"""

from django.conf import settings

from crm.sql import statement_trigger_function, updated_rows

TABLE = "deals_dealtally"

# What a deal's rows depend on; an UPDATE that changes none of them (a next step, notes) changes no tally.
COUNTED = (
    "status", "stage_id", "stage_entered_at", "amount", "probability", "expected_close_on", "closed_on",
    "customer_id", "furthest_stage_id",
)  # fmt: skip

UPSERT = f"""
INSERT INTO {TABLE} AS tally (owner_id, kind, day, stage_id, count, won, amount)
SELECT owner_id, kind, day, stage_id, SUM(sign), SUM(sign * won), SUM(sign * amount)
FROM ({{source}}) AS change (sign, owner_id, kind, day, stage_id, won, amount)
WHERE owner_id IS NOT NULL
GROUP BY owner_id, kind, day, stage_id
ORDER BY owner_id, kind, day, stage_id
ON CONFLICT (owner_id, kind, day, stage_id) DO UPDATE SET
    count = tally.count + EXCLUDED.count,
    won = tally.won + EXCLUDED.won,
    amount = tally.amount + EXCLUDED.amount
"""  # noqa: S608 (table names, no input)


def _rows_of(deal: str) -> str:
    """The tally rows of the deal `deal` (an alias), as a LATERAL list: (counts?, kind, day, stage, won, amount)."""
    month = "date_trunc('month', {column})::date"
    return (
        "CROSS JOIN LATERAL (VALUES "
        f"({deal}.status = 'open', 'entered', ({deal}.stage_entered_at AT TIME ZONE '{settings.TIME_ZONE}')::date, "
        f"{deal}.stage_id, 0, 0::numeric), "
        f"({deal}.status = 'open', 'expected', {month.format(column=deal + '.expected_close_on')}, NULL::bigint, 0, "
        f"{deal}.amount * {deal}.probability / 100), "
        f"({deal}.status <> 'open', 'closed', {month.format(column=deal + '.closed_on')}, {deal}.furthest_stage_id, "
        f"({deal}.status = 'won')::int, CASE WHEN {deal}.status = 'won' THEN {deal}.amount ELSE 0 END)"
        ") AS row (counts, kind, day, stage_id, won, amount)"
    )


def _deal_rows(sign: int, deals: str, where: str = "TRUE", join: str = "") -> str:
    return (
        f"SELECT {sign}, customer.owner_id, row.kind, row.day, row.stage_id, row.won, row.amount "  # noqa: S608
        f"FROM {deals} AS deal {join} JOIN crm_customer AS customer ON customer.id = deal.customer_id "
        f"{_rows_of('deal')} WHERE row.counts AND {where}"
    )


DEALS_INSERTED = UPSERT.format(source=_deal_rows(1, "new_deals"))
DEALS_DELETED = UPSERT.format(source=_deal_rows(-1, "old_deals"))
DEALS_UPDATED = UPSERT.format(source=updated_rows(_deal_rows, COUNTED, "old_deals", "new_deals"))

# The deals of the customers whose holder changed, read first (a materialized CTE): PostgreSQL knows nothing of a
# transition table's size and guessed 62 million changed customers for the lapse sweep's 110,000, so it worked out
# the tally rows of all 2 million deals before joining them (17 of the sweep's 24 s in this trigger).
HOLDERS_CHANGED = UPSERT.format(
    source=(
        "WITH moved AS MATERIALIZED ("  # noqa: S608
        "SELECT old_customers.owner_id AS old_owner, new_customers.owner_id AS new_owner, "
        f"{', '.join('deal.' + column for column in COUNTED)} "
        "FROM old_customers JOIN new_customers ON new_customers.id = old_customers.id "
        "JOIN deals_opportunity AS deal ON deal.customer_id = old_customers.id "
        "WHERE old_customers.owner_id IS DISTINCT FROM new_customers.owner_id) "
        "SELECT holder.sign, holder.owner_id, row.kind, row.day, row.stage_id, row.won, row.amount "
        "FROM moved AS deal CROSS JOIN LATERAL (VALUES (-1, deal.old_owner), (1, deal.new_owner)) "
        f"AS holder (sign, owner_id) {_rows_of('deal')} WHERE row.counts"
    )
)

# A deal's furthest stage: the highest-ordered stage its history entered. History is append-only, so a new entry
# can only raise it; the UPDATE then moves the deal's closed tally (the deals' update trigger).
FURTHEST_RAISED = """
UPDATE deals_opportunity AS deal SET furthest_stage_id = best.stage_id
FROM (
    SELECT DISTINCT ON (change.opportunity_id) change.opportunity_id, stage.id AS stage_id, stage."order"
    FROM new_changes AS change JOIN deals_stage AS stage ON stage.id = change.to_stage_id
    ORDER BY change.opportunity_id, stage."order" DESC, stage.id
) AS best
WHERE deal.id = best.opportunity_id
  AND (deal.furthest_stage_id IS NULL
       OR (SELECT furthest."order" FROM deals_stage AS furthest WHERE furthest.id = deal.furthest_stage_id)
          < best."order")
"""

CREATE = [
    statement_trigger_function("deals_tally_insert", [DEALS_INSERTED]),
    statement_trigger_function("deals_tally_delete", [DEALS_DELETED]),
    statement_trigger_function("deals_tally_update", [DEALS_UPDATED]),
    statement_trigger_function("deals_tally_holder", [HOLDERS_CHANGED]),
    statement_trigger_function("deals_furthest_stage", [FURTHEST_RAISED]),
    "CREATE TRIGGER tally_insert AFTER INSERT ON deals_opportunity REFERENCING NEW TABLE AS new_deals "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_tally_insert()",
    "CREATE TRIGGER tally_delete AFTER DELETE ON deals_opportunity REFERENCING OLD TABLE AS old_deals "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_tally_delete()",
    "CREATE TRIGGER tally_update AFTER UPDATE ON deals_opportunity "
    "REFERENCING OLD TABLE AS old_deals NEW TABLE AS new_deals "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_tally_update()",
    "CREATE TRIGGER tally_holder AFTER UPDATE ON crm_customer "
    "REFERENCING OLD TABLE AS old_customers NEW TABLE AS new_customers "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_tally_holder()",
    "CREATE TRIGGER furthest_stage AFTER INSERT ON deals_stagechange REFERENCING NEW TABLE AS new_changes "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_furthest_stage()",
]

DROP = [
    "DROP TRIGGER tally_insert ON deals_opportunity",
    "DROP TRIGGER tally_delete ON deals_opportunity",
    "DROP TRIGGER tally_update ON deals_opportunity",
    "DROP TRIGGER tally_holder ON crm_customer",
    "DROP TRIGGER furthest_stage ON deals_stagechange",
    *(f"DROP FUNCTION deals_tally_{name}()" for name in ("insert", "delete", "update", "holder")),
    "DROP FUNCTION deals_furthest_stage()",
]

# Every deal's furthest stage from its history: the migration's first fill (before the tallies are counted).
FURTHEST_FILL = """
UPDATE deals_opportunity AS deal SET furthest_stage_id = best.stage_id
FROM (
    SELECT DISTINCT ON (change.opportunity_id) change.opportunity_id, stage.id AS stage_id
    FROM deals_stagechange AS change JOIN deals_stage AS stage ON stage.id = change.to_stage_id
    ORDER BY change.opportunity_id, stage."order" DESC, stage.id
) AS best
WHERE deal.id = best.opportunity_id AND deal.furthest_stage_id IS DISTINCT FROM best.stage_id
"""

# The tallies recounted from the deals: the migration's first fill, and what a test compares the kept ones with.
RECOUNT = (
    "SELECT customer.owner_id, row.kind, row.day, row.stage_id, COUNT(*), SUM(row.won), SUM(row.amount) "  # noqa: S608
    "FROM deals_opportunity AS deal JOIN crm_customer AS customer ON customer.id = deal.customer_id "
    f"{_rows_of('deal')} WHERE row.counts AND customer.owner_id IS NOT NULL "
    "GROUP BY customer.owner_id, row.kind, row.day, row.stage_id"
)
FILL = f"INSERT INTO {TABLE} (owner_id, kind, day, stage_id, count, won, amount) {RECOUNT}"  # noqa: S608
