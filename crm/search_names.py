"""The triggers that keep `CustomerSearchName` (each customer's names as the searches match them) equal to the
customers' own columns, on PostgreSQL.

A change of holder writes a new version of the customer row and an entry in every index on it: the lapse sweep
hands 111,000 customers to the pool in one UPDATE at 1,000,000, and the four trigram and bigram indexes of the
name took 7 of that UPDATE's 19 s (each entry is one per trigram). Names rarely change, holders daily: the name's
indexes live on their own table, which only a new customer, a new name or a deletion writes.

An insert copies the new rows in one statement; a change of name is a row trigger on the name columns only, so an
UPDATE that does not set them (every change of holder, grade or follow-up date) does not fire it at all; a deleted
customer's row goes with it (the foreign key cascades, in the database). SQLite searches the customers' columns.

The table also holds each customer's holder (0033), for a search to keep a manager's matches on it rather than
reading every match's customer row (a Chinese name's 1,131 at 1,000,000). A change of holder updates it once per
statement: the rows whose (id, holder) the statement did not have before, one set-based UPDATE of a column no index
holds, which PostgreSQL makes in place (fillfactor 80 leaves the room): about 0.1 s per 10,000 customers moved.
An UPDATE that moves nobody (a follow-up date, a grade) finds no such row.
"""

# ruff: noqa: S608 - the SQL is built from this module's constants and table names, never from input

from crm.sql import statement_trigger_function

TABLE = "crm_customersearchname"
# The columns copied from the customer: its names (0031), and since 0033 its holder.
NAMES = "name, name_normalized, name_pinyin"
HELD = f"{NAMES}, owner_id"
FILLFACTOR = f"ALTER TABLE {TABLE} SET (fillfactor = 80)"


def insert_function(columns=HELD):
    inserted = f"INSERT INTO {TABLE} (customer_id, {columns}) SELECT id, {columns} FROM new_customers"
    return statement_trigger_function("crm_search_name_insert", [inserted])


def fill(columns=HELD):
    """The names as the customers hold them, copied in one statement (after the triggers, whose lock keeps other
    writers out until it commits)."""
    return f"INSERT INTO {TABLE} (customer_id, {columns}) SELECT id, {columns} FROM crm_customer"


RENAMED = f"""
CREATE OR REPLACE FUNCTION crm_search_name_update() RETURNS trigger AS $function$ BEGIN
    UPDATE {TABLE} SET name = NEW.name, name_normalized = NEW.name_normalized, name_pinyin = NEW.name_pinyin
    WHERE customer_id = NEW.id;
    RETURN NULL;
END; $function$ LANGUAGE plpgsql
"""


def triggers(columns=HELD):
    return [
        insert_function(columns),
        "CREATE TRIGGER search_name_insert AFTER INSERT ON crm_customer REFERENCING NEW TABLE AS new_customers "
        "FOR EACH STATEMENT EXECUTE FUNCTION crm_search_name_insert()",
        RENAMED,
        f"CREATE TRIGGER search_name_update AFTER UPDATE OF {NAMES} ON crm_customer FOR EACH ROW "
        "WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.name_normalized IS DISTINCT FROM NEW.name_normalized "
        "OR OLD.name_pinyin IS DISTINCT FROM NEW.name_pinyin) EXECUTE FUNCTION crm_search_name_update()",
    ]


MOVED = f"""
UPDATE {TABLE} AS held SET owner_id = moved.owner_id
FROM (SELECT id, owner_id FROM new_customers EXCEPT SELECT id, owner_id FROM old_customers) AS moved
WHERE held.customer_id = moved.id
"""

HOLDER_TRIGGERS = [
    statement_trigger_function("crm_search_name_holder", [MOVED]),
    "CREATE TRIGGER search_name_holder AFTER UPDATE ON crm_customer "
    "REFERENCING OLD TABLE AS old_customers NEW TABLE AS new_customers "
    "FOR EACH STATEMENT EXECUTE FUNCTION crm_search_name_holder()",
]
DROP_HOLDER_TRIGGERS = ["DROP TRIGGER search_name_holder ON crm_customer", "DROP FUNCTION crm_search_name_holder()"]

# Deferred as Django's own keys are; made after a fill, which one join then checks (a row's check each is slower).
KEY_NAME = "crm_customersearchname_customer_fk"
KEY = (
    f"ALTER TABLE {TABLE} ADD CONSTRAINT {KEY_NAME} FOREIGN KEY (customer_id) "
    "REFERENCES crm_customer (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
)

DROP = [
    f"ALTER TABLE {TABLE} DROP CONSTRAINT {KEY_NAME}",
    "DROP TRIGGER search_name_update ON crm_customer",
    "DROP FUNCTION crm_search_name_update()",
    "DROP TRIGGER search_name_insert ON crm_customer",
    "DROP FUNCTION crm_search_name_insert()",
]

# What a test compares the kept names with.
RECOUNT = f"SELECT id, {HELD} FROM crm_customer"
