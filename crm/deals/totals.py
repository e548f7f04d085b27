"""The triggers that keep `PipelineTotal` (open deals per holder and stage) equal to a recount, on PostgreSQL.

Statement triggers with transition tables: one set-based upsert per statement, whatever the number of rows (the
lapse sweep hands thousands of customers to the pool in one UPDATE). A deal counts under its customer's current
holder: a change to a deal moves its share between (holder, stage) rows; a change of a customer's holder moves
all its open deals' shares from the old holder to the new one. Rows are upserted in (holder, stage) order, so two
transactions lock them in the same order.
"""

from crm.sql import statement_trigger_function, updated_rows

TABLE = "deals_pipelinetotal"

# What each row adds: sign (+1 or -1), holder, stage, amount, probability. `{source}` is a SELECT of those columns.
UPSERT = f"""
INSERT INTO {TABLE} AS total (owner_id, stage_id, count, amount, weighted)
SELECT owner_id, stage_id, SUM(sign), SUM(sign * amount), SUM(sign * amount * probability / 100)
FROM ({{source}}) AS change (sign, owner_id, stage_id, amount, probability)
GROUP BY owner_id, stage_id
ORDER BY owner_id, stage_id
ON CONFLICT (owner_id, stage_id) DO UPDATE SET
    count = total.count + EXCLUDED.count,
    amount = total.amount + EXCLUDED.amount,
    weighted = total.weighted + EXCLUDED.weighted
"""  # noqa: S608 (table names, no input)

# What a deal's share depends on; an UPDATE that changes none of them (a next step, notes) changes no total.
COUNTED = ("status", "stage_id", "amount", "probability", "customer_id")


def _deal_share(sign: int, rows: str, where: str = "TRUE", join: str = "") -> str:
    return (
        f"SELECT {sign}, customer.owner_id, deal.stage_id, deal.amount, deal.probability "  # noqa: S608
        f"FROM {rows} AS deal {join} JOIN crm_customer AS customer ON customer.id = deal.customer_id "
        f"WHERE deal.status = 'open' AND {where}"
    )


def _holder_share(sign: int, holder: str) -> str:
    return (
        f"SELECT {sign}, {holder}.owner_id, deal.stage_id, deal.amount, deal.probability "  # noqa: S608
        "FROM old_customers JOIN new_customers ON new_customers.id = old_customers.id "
        "JOIN deals_opportunity AS deal ON deal.customer_id = old_customers.id AND deal.status = 'open' "
        "WHERE old_customers.owner_id IS DISTINCT FROM new_customers.owner_id"
    )


DEALS_INSERTED = UPSERT.format(source=_deal_share(1, "new_deals"))
DEALS_DELETED = UPSERT.format(source=_deal_share(-1, "old_deals"))
DEALS_UPDATED = UPSERT.format(source=updated_rows(_deal_share, COUNTED, "old_deals", "new_deals"))
HOLDERS_CHANGED = UPSERT.format(
    source=_holder_share(-1, "old_customers") + " UNION ALL " + _holder_share(1, "new_customers")
)

CREATE = [
    statement_trigger_function("deals_pipeline_total_insert", [DEALS_INSERTED]),
    statement_trigger_function("deals_pipeline_total_delete", [DEALS_DELETED]),
    statement_trigger_function("deals_pipeline_total_update", [DEALS_UPDATED]),
    statement_trigger_function("deals_pipeline_total_holder", [HOLDERS_CHANGED]),
    "CREATE TRIGGER pipeline_total_insert AFTER INSERT ON deals_opportunity REFERENCING NEW TABLE AS new_deals "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_pipeline_total_insert()",
    "CREATE TRIGGER pipeline_total_delete AFTER DELETE ON deals_opportunity REFERENCING OLD TABLE AS old_deals "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_pipeline_total_delete()",
    "CREATE TRIGGER pipeline_total_update AFTER UPDATE ON deals_opportunity "
    "REFERENCING OLD TABLE AS old_deals NEW TABLE AS new_deals "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_pipeline_total_update()",
    "CREATE TRIGGER pipeline_total_holder AFTER UPDATE ON crm_customer "
    "REFERENCING OLD TABLE AS old_customers NEW TABLE AS new_customers "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_pipeline_total_holder()",
]

DROP = [
    "DROP TRIGGER pipeline_total_insert ON deals_opportunity",
    "DROP TRIGGER pipeline_total_delete ON deals_opportunity",
    "DROP TRIGGER pipeline_total_update ON deals_opportunity",
    "DROP TRIGGER pipeline_total_holder ON crm_customer",
    *(f"DROP FUNCTION deals_pipeline_total_{name}()" for name in ("insert", "delete", "update", "holder")),
]

# The totals recounted from the deals: the migration's first fill, and what a test compares the kept ones with.
RECOUNT = (
    "SELECT customer.owner_id, deal.stage_id, COUNT(*), SUM(deal.amount), SUM(deal.amount * deal.probability / 100) "
    "FROM deals_opportunity AS deal JOIN crm_customer AS customer ON customer.id = deal.customer_id "
    "WHERE deal.status = 'open' GROUP BY customer.owner_id, deal.stage_id"
)
FILL = f"INSERT INTO {TABLE} (owner_id, stage_id, count, amount, weighted) {RECOUNT}"  # noqa: S608
