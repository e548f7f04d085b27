"""The triggers that keep `Holding` (active claims per holder and customer status) equal to a recount, on PostgreSQL.

The holding limit is checked on every registration and every claim from the pool; counting the holder's active
claims and probing each one's customer for its status read 4,500 customers at 1,000,000 for a rep with a raised
limit (16–20 ms). The kept rows answer it in one read of a few rows.

Claims change by statement triggers with transition tables, so the lapse sweep's one UPDATE that ends thousands
of claims is one set-based upsert. A customer's status changes one row at a time (a win, an edit, an import's
row), so that trigger is a row trigger whose WHEN skips every other UPDATE of the table (the lapse sweep's
included) without running anything. Rows are upserted in (holder, status) order, so two transactions lock them
in the same order.
"""

# ruff: noqa: S608 - the SQL is built from this module's constants and table names, never from input

from crm.sql import statement_trigger_function

TABLE = "claims_holding"

UPSERT = f"""
INSERT INTO {TABLE} AS holding (holder_id, status, count)
SELECT holder_id, status, SUM(sign) FROM ({{source}}) AS change (sign, holder_id, status)
GROUP BY holder_id, status
ORDER BY holder_id, status
ON CONFLICT (holder_id, status) DO UPDATE SET count = holding.count + EXCLUDED.count
"""

# What decides where a claim counts: an UPDATE that changes none of these (a renewal, a split) changes no count.
COUNTED = "(claim.holder_id, claim.customer_id, claim.ended_at IS NULL)"


def _active_claims(sign: int, rows: str, where: str = "TRUE", join: str = "") -> str:
    """The active claims of `rows`, each with its customer's status, counted `sign`."""
    return (
        f"SELECT {sign}, claim.holder_id, customer.status FROM {rows} AS claim {join} "
        "JOIN crm_customer AS customer ON customer.id = claim.customer_id "
        f"WHERE claim.ended_at IS NULL AND {where}"
    )


CLAIMS_INSERTED = UPSERT.format(source=_active_claims(1, "new_claims"))
CLAIMS_DELETED = UPSERT.format(source=_active_claims(-1, "old_claims"))
CLAIMS_UPDATED = UPSERT.format(
    source=_active_claims(
        -1, "old_claims", f"{COUNTED} IS DISTINCT FROM {COUNTED.replace('claim.', 'after.')}",
        "JOIN new_claims AS after USING (id)",
    )
    + " UNION ALL "
    + _active_claims(
        1, "new_claims", f"{COUNTED} IS DISTINCT FROM {COUNTED.replace('claim.', 'before.')}",
        "JOIN old_claims AS before USING (id)",
    )
)  # fmt: skip
# A row trigger: NEW and OLD are the customer; its active claim (at most one) moves from the old status to the new.
STATUS_CHANGED = UPSERT.format(
    source="SELECT change.sign, claim.holder_id, change.status FROM claims_claim AS claim "
    "CROSS JOIN (VALUES (-1, OLD.status), (1, NEW.status)) AS change (sign, status) "
    "WHERE claim.customer_id = NEW.id AND claim.ended_at IS NULL"
)

CREATE = [
    statement_trigger_function("claims_holding_insert", [CLAIMS_INSERTED]),
    statement_trigger_function("claims_holding_delete", [CLAIMS_DELETED]),
    statement_trigger_function("claims_holding_update", [CLAIMS_UPDATED]),
    # Static SQL planned once is right here: one customer's claim, by the one-active-claim index.
    "CREATE OR REPLACE FUNCTION claims_holding_status() RETURNS trigger AS $function$ BEGIN "
    f"{STATUS_CHANGED}; RETURN NULL; END; $function$ LANGUAGE plpgsql",
    "CREATE TRIGGER holding_insert AFTER INSERT ON claims_claim REFERENCING NEW TABLE AS new_claims "
    "FOR EACH STATEMENT EXECUTE FUNCTION claims_holding_insert()",
    "CREATE TRIGGER holding_delete AFTER DELETE ON claims_claim REFERENCING OLD TABLE AS old_claims "
    "FOR EACH STATEMENT EXECUTE FUNCTION claims_holding_delete()",
    "CREATE TRIGGER holding_update AFTER UPDATE ON claims_claim "
    "REFERENCING OLD TABLE AS old_claims NEW TABLE AS new_claims "
    "FOR EACH STATEMENT EXECUTE FUNCTION claims_holding_update()",
    "CREATE TRIGGER holding_status AFTER UPDATE OF status ON crm_customer FOR EACH ROW "
    "WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION claims_holding_status()",
]

DROP = [
    "DROP TRIGGER holding_insert ON claims_claim",
    "DROP TRIGGER holding_delete ON claims_claim",
    "DROP TRIGGER holding_update ON claims_claim",
    "DROP TRIGGER holding_status ON crm_customer",
    *(f"DROP FUNCTION claims_holding_{name}()" for name in ("insert", "delete", "update", "status")),
]

# The counts recounted from the claims: the migration's first fill, and what a test compares the kept ones with.
RECOUNT = (
    "SELECT claim.holder_id, customer.status, COUNT(*) FROM claims_claim AS claim "
    "JOIN crm_customer AS customer ON customer.id = claim.customer_id "
    "WHERE claim.ended_at IS NULL GROUP BY claim.holder_id, customer.status"
)
FILL = f"INSERT INTO {TABLE} (holder_id, status, count) {RECOUNT}"
