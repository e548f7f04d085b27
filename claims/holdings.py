"""The triggers that keep `Holding` (customers per holder and status) equal to a recount, on PostgreSQL.

The holding limit is checked on every registration and every claim from the pool; counting the holder's customers
read 4,500 of them at 1,000,000 for a rep with a raised limit (80 ms with a cold cache). The kept rows answer it
in one read of a few rows.

A customer's holder is `Customer.owner` (the claims services keep it equal to the active claim's holder), so the
counts follow one table: one set-based upsert per statement on crm_customer, whatever the number of rows (the
lapse sweep hands 111,000 customers to the pool in one UPDATE at 1,000,000: about 0.1 s of its time, where
following the claims and looking up each one's customer took 1.7 s). Rows are upserted in (holder, status)
order, so two transactions lock them in the same order.
"""

# ruff: noqa: S608 - the SQL is built from this module's constants and table names, never from input

from crm.sql import statement_trigger_function

TABLE = "claims_holding"

UPSERT = f"""
INSERT INTO {TABLE} AS holding (holder_id, status, count)
SELECT owner_id, status, SUM(sign) FROM ({{source}}) AS change (sign, owner_id, status)
WHERE owner_id IS NOT NULL
GROUP BY owner_id, status
HAVING SUM(sign) <> 0
ORDER BY owner_id, status
ON CONFLICT (holder_id, status) DO UPDATE SET count = holding.count + EXCLUDED.count
"""

OLD = "SELECT -1, owner_id, status FROM old_customers"
NEW = "SELECT 1, owner_id, status FROM new_customers"
# An UPDATE takes every old row away and adds every new one: no join of the two, and the rows whose holder and
# status did not change (a note, a visit's dates, a grade) cancel out in the sum, so they change no count.
_STATEMENTS = {
    "insert": UPSERT.format(source=NEW),
    "update": UPSERT.format(source=f"{OLD} UNION ALL {NEW}"),
    "delete": UPSERT.format(source=OLD),
}

_TRANSITIONS = {
    "insert": "REFERENCING NEW TABLE AS new_customers",
    "update": "REFERENCING OLD TABLE AS old_customers NEW TABLE AS new_customers",
    "delete": "REFERENCING OLD TABLE AS old_customers",
}

CREATE = [
    statement
    for event, transition in _TRANSITIONS.items()
    for statement in (
        statement_trigger_function(f"claims_holding_{event}", [_STATEMENTS[event]]),
        f"CREATE TRIGGER holding_{event} AFTER {event.upper()} ON crm_customer {transition} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION claims_holding_{event}()",
    )
]

DROP = [
    statement
    for event in _TRANSITIONS
    for statement in (f"DROP TRIGGER holding_{event} ON crm_customer", f"DROP FUNCTION claims_holding_{event}()")
]

# The counts recounted from the customers: the migration's first fill, and what a test compares the kept ones with.
RECOUNT = "SELECT owner_id, status, COUNT(*) FROM crm_customer WHERE owner_id IS NOT NULL GROUP BY owner_id, status"
FILL = f"INSERT INTO {TABLE} (holder_id, status, count) {RECOUNT}"
