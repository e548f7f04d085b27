"""The triggers that keep `CustomerSearchName` (each customer's names as the searches match them) equal to the
customers' own columns, on PostgreSQL.

A change of holder writes a new version of the customer row and an entry in every index on it: the lapse sweep
hands 111,000 customers to the pool in one UPDATE at 1,000,000, and the four trigram and bigram indexes of the
name took 7 of that UPDATE's 19 s (each entry is one per trigram). Names rarely change, holders daily: the name's
indexes live on their own table, which only a new customer, a new name or a deletion writes.

An insert copies the new rows in one statement; a change of name is a row trigger on the name columns only, so an
UPDATE that does not set them (every change of holder, grade or follow-up date) does not fire it at all; a deleted
customer's row goes with it (the foreign key cascades, in the database). SQLite searches the customers' columns.
"""

# ruff: noqa: S608 - the SQL is built from this module's constants and table names, never from input

from crm.sql import statement_trigger_function

TABLE = "crm_customersearchname"
COLUMNS = "name, name_normalized, name_pinyin"

INSERTED = f"INSERT INTO {TABLE} (customer_id, {COLUMNS}) SELECT id, {COLUMNS} FROM new_customers"

RENAMED = f"""
CREATE OR REPLACE FUNCTION crm_search_name_update() RETURNS trigger AS $function$ BEGIN
    UPDATE {TABLE} SET name = NEW.name, name_normalized = NEW.name_normalized, name_pinyin = NEW.name_pinyin
    WHERE customer_id = NEW.id;
    RETURN NULL;
END; $function$ LANGUAGE plpgsql
"""

TRIGGERS = [
    statement_trigger_function("crm_search_name_insert", [INSERTED]),
    "CREATE TRIGGER search_name_insert AFTER INSERT ON crm_customer REFERENCING NEW TABLE AS new_customers "
    "FOR EACH STATEMENT EXECUTE FUNCTION crm_search_name_insert()",
    RENAMED,
    f"CREATE TRIGGER search_name_update AFTER UPDATE OF {COLUMNS} ON crm_customer FOR EACH ROW "
    "WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.name_normalized IS DISTINCT FROM NEW.name_normalized "
    "OR OLD.name_pinyin IS DISTINCT FROM NEW.name_pinyin) EXECUTE FUNCTION crm_search_name_update()",
]

# Deferred as Django's own keys are. Made after the first fill, which one join then checks.
KEY = (
    f"ALTER TABLE {TABLE} ADD CONSTRAINT crm_customersearchname_customer_fk FOREIGN KEY (customer_id) "
    "REFERENCES crm_customer (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
)

DROP = [
    f"ALTER TABLE {TABLE} DROP CONSTRAINT crm_customersearchname_customer_fk",
    "DROP TRIGGER search_name_update ON crm_customer",
    "DROP FUNCTION crm_search_name_update()",
    "DROP TRIGGER search_name_insert ON crm_customer",
    "DROP FUNCTION crm_search_name_insert()",
]

# The names as the customers hold them: the migration's first fill (after the triggers, whose lock keeps other
# writers out until it commits), and what a test compares the kept ones with.
RECOUNT = f"SELECT id, {COLUMNS} FROM crm_customer"
FILL = f"INSERT INTO {TABLE} (customer_id, {COLUMNS}) {RECOUNT}"
