"""The triggers that keep the board's summaries, on PostgreSQL and SQLite: they mark an owner's figures stale, and
count visits per person, day and method.

Every path that can move a rep's figures writes through one of four tables: customers (owner, grade, status, next
follow-up, registration), visits (their customer and time), pauses, and the grade policy. A trigger on each marks
the owners concerned in `board_staleowner`, in the same transaction as the change, whoever wrote it: a service,
a set-based sweep, an import, the Django admin or a script. PostgreSQL marks once per statement (transition
tables), SQLite once per row.
"""

# ruff: noqa: S608 - the SQL is built from this module's constants and table names, never from input

import datetime
import zoneinfo

from django.conf import settings

from crm.sql import statement_trigger_function

STALE = "board_staleowner"
VISIT_DAYS = "board_visitday"
POOL_WEEKS = "board_poolweek"
# An ownership event's pool flow and whom it is counted for (models.PoolFlow; services.pool_flow reads them).
# `{r}` is the row's prefix ("NEW." in a row trigger).
FLOW_CASE = (
    "CASE WHEN {r}kind IN ('lapsed', 'released') OR ({r}kind IN ('departed', 'decided', 'registered') "
    "AND {r}to_user_id IS NULL) THEN 1 WHEN {r}kind = 'claimed' THEN 2 WHEN {r}kind = 'registered' THEN 3 "
    "ELSE 0 END"
)
FLOW_USER = "CASE WHEN {flow} = 1 THEN COALESCE({r}from_user_id, 0) ELSE COALESCE({r}to_user_id, 0) END"
# The customer columns the figures read (services._customer_flags and _measured).
WATCHED = ("owner_id", "grade", "status", "next_follow_up_on", "created_at")


def _changed(old: str, new: str) -> str:
    columns = ", ".join
    return f"({columns(f'{old}.{c}' for c in WATCHED)}) IS DISTINCT FROM ({columns(f'{new}.{c}' for c in WATCHED)})"


def _owners_of(rows: str) -> str:
    """The current owners of the customers of `rows` (visits or pauses)."""
    return f"SELECT c.owner_id FROM {rows} r JOIN crm_customer c ON c.id = r.customer_id"


def _postgresql() -> list[tuple[str, str, str, str]]:
    """(name, table, event, the SELECT of owner ids to mark) for each trigger."""
    customer_moved = f"FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {_changed('o', 'n')}"
    visit_moved = (
        "FROM old_rows o JOIN new_rows n ON n.id = o.id "
        "WHERE (o.customer_id, o.started_at) IS DISTINCT FROM (n.customer_id, n.started_at)"
    )
    pause_moved = (
        "FROM old_rows o JOIN new_rows n ON n.id = o.id "
        "WHERE (o.customer_id, o.until, o.created_at) IS DISTINCT FROM (n.customer_id, n.until, n.created_at)"
    )
    return [
        ("customer_insert", "crm_customer", "INSERT", "SELECT owner_id FROM new_rows"),
        ("customer_update", "crm_customer", "UPDATE",
         f"SELECT o.owner_id {customer_moved} UNION SELECT n.owner_id {customer_moved}"),
        ("customer_delete", "crm_customer", "DELETE", "SELECT owner_id FROM old_rows"),
        ("visit_insert", "visits_visit", "INSERT", _owners_of("new_rows")),
        ("visit_update", "visits_visit", "UPDATE",
         _owners_of(f"(SELECT o.customer_id {visit_moved} UNION SELECT n.customer_id {visit_moved})")),
        ("visit_delete", "visits_visit", "DELETE", _owners_of("old_rows")),
        ("pause_insert", "visits_snooze", "INSERT", _owners_of("new_rows")),
        ("pause_update", "visits_snooze", "UPDATE",
         _owners_of(f"(SELECT o.customer_id {pause_moved} UNION SELECT n.customer_id {pause_moved})")),
        ("pause_delete", "visits_snooze", "DELETE", _owners_of("old_rows")),
        # The policy sets how many contacts each grade owes: every owner's figures move.
        *(
            (f"policy_{event.lower()}", "crm_graderule", event, "SELECT owner_id FROM crm_customer")
            for event in ("INSERT", "UPDATE", "DELETE")
        ),
    ]  # fmt: skip


def _transition(event: str) -> str:
    return {
        "INSERT": "REFERENCING NEW TABLE AS new_rows",
        "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "REFERENCING OLD TABLE AS old_rows",
    }[event]


def _sqlite() -> list[tuple[str, str, str, str]]:
    """(name, table, event or "event|condition", the SELECT of owner ids to mark) for each row trigger."""
    owner_of = "SELECT owner_id FROM crm_customer WHERE id = {}.customer_id"
    return [
        ("customer_insert", "crm_customer", "INSERT", "SELECT NEW.owner_id AS owner_id"),
        ("customer_update", "crm_customer", f"UPDATE|{_changed('OLD', 'NEW')}",
         "SELECT OLD.owner_id AS owner_id UNION SELECT NEW.owner_id"),
        ("customer_delete", "crm_customer", "DELETE", "SELECT OLD.owner_id AS owner_id"),
        ("visit_insert", "visits_visit", "INSERT", owner_of.format("NEW")),
        ("visit_update", "visits_visit", "UPDATE|(OLD.customer_id, OLD.started_at) IS NOT "
         "(NEW.customer_id, NEW.started_at)", f"{owner_of.format('OLD')} UNION {owner_of.format('NEW')}"),
        ("visit_delete", "visits_visit", "DELETE", owner_of.format("OLD")),
        ("pause_insert", "visits_snooze", "INSERT", owner_of.format("NEW")),
        ("pause_update", "visits_snooze", "UPDATE", f"{owner_of.format('OLD')} UNION {owner_of.format('NEW')}"),
        ("pause_delete", "visits_snooze", "DELETE", owner_of.format("OLD")),
        *(
            (f"policy_{event.lower()}", "crm_graderule", event, "SELECT DISTINCT owner_id FROM crm_customer")
            for event in ("INSERT", "UPDATE", "DELETE")
        ),
    ]  # fmt: skip


def statements(vendor: str) -> tuple[list[str], list[str]]:
    """(create, drop) statements of the stale-marking triggers for `vendor` (none for another database)."""
    create, drop = [], []
    if vendor == "postgresql":
        for name, table, event, owners in _postgresql():
            function = f"board_stale_{name}"
            create += [
                statement_trigger_function(
                    function,
                    [
                        f"INSERT INTO {STALE} (owner_id) SELECT DISTINCT owner_id FROM ({owners}) marked "
                        "WHERE owner_id IS NOT NULL"
                    ],
                ),
                f"CREATE TRIGGER {function} AFTER {event} ON {table} {_transition(event)} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            ]
            drop += [f"DROP TRIGGER IF EXISTS {function} ON {table}", f"DROP FUNCTION IF EXISTS {function}()"]
    elif vendor == "sqlite":
        for name, table, event, owners in _sqlite():
            event, _, condition = event.partition("|")
            when = f"WHEN {condition} " if condition else ""
            create.append(
                f"CREATE TRIGGER board_stale_{name} AFTER {event} ON {table} FOR EACH ROW {when}BEGIN "
                f"INSERT INTO {STALE} (owner_id) SELECT owner_id FROM ({owners}) WHERE owner_id IS NOT NULL; END"
            )
            drop.append(f"DROP TRIGGER IF EXISTS board_stale_{name}")
    return create, drop


def _visits_grouped() -> str:
    day = f"(started_at AT TIME ZONE '{settings.TIME_ZONE}')::date"
    return f"SELECT author_id, {day} AS day, method, count(*) AS n FROM {{}} GROUP BY 1, 2, 3"


def _visit_days_add(rows: str) -> str:
    return (
        f"INSERT INTO {VISIT_DAYS} (author_id, day, method, n) {_visits_grouped().format(rows)} "
        f"ON CONFLICT (author_id, day, method) DO UPDATE SET n = {VISIT_DAYS}.n + EXCLUDED.n"
    )


def visits_inserted(select: str) -> list[str]:
    """What the PostgreSQL insert triggers on visits do, for the visits a SELECT gives: mark their customers' owners
    stale and count them per author, day and method. For a bulk load that runs them once over all its rows, with
    the triggers disabled while it writes."""
    owners = _owners_of(f"({select})")
    rows = f"({select}) new_rows"
    return [
        f"INSERT INTO {STALE} (owner_id) SELECT DISTINCT owner_id FROM ({owners}) marked WHERE owner_id IS NOT NULL",
        _visit_days_add(rows),
    ]


VISIT_INSERT_TRIGGERS = ("board_stale_visit_insert", "board_visitday_insert")


def _visit_days_postgresql() -> tuple[list[str], list[str]]:
    """Visits counted per author, local day and method, once per statement."""
    grouped = _visits_grouped()
    add = _visit_days_add("new_rows")
    remove = (
        f"UPDATE {VISIT_DAYS} d SET n = d.n - g.n FROM ({grouped.format('old_rows')}) g "
        "WHERE d.author_id = g.author_id AND d.day = g.day AND d.method = g.method"
    )
    bodies = {"INSERT": [add], "UPDATE": [remove, add], "DELETE": [remove]}
    create, drop = [], []
    for event, body in bodies.items():
        function = f"board_visitday_{event.lower()}"
        create += [
            statement_trigger_function(function, body),
            f"CREATE TRIGGER {function} AFTER {event} ON visits_visit {_transition(event)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
        drop += [f"DROP TRIGGER IF EXISTS {function} ON visits_visit", f"DROP FUNCTION IF EXISTS {function}()"]
    return create, drop


def _visit_days_sqlite() -> tuple[list[str], list[str]]:
    """The same per row. SQLite has no time zones: the zone's offset now stands for it (Asia/Shanghai keeps one
    offset all year)."""
    shift = _shift_sqlite()
    add = (
        f"INSERT INTO {VISIT_DAYS} (author_id, day, method, n) "
        f"VALUES (NEW.author_id, date(NEW.started_at, {shift}), NEW.method, 1) "
        f"ON CONFLICT (author_id, day, method) DO UPDATE SET n = n + 1"
    )
    remove = (
        f"UPDATE {VISIT_DAYS} SET n = n - 1 WHERE author_id = OLD.author_id "
        f"AND day = date(OLD.started_at, {shift}) AND method = OLD.method"
    )
    bodies = {"INSERT": [add], "UPDATE": [remove, add], "DELETE": [remove]}
    create = [
        f"CREATE TRIGGER board_visitday_{event.lower()} AFTER {event} ON visits_visit FOR EACH ROW BEGIN "
        f"{'; '.join(body)}; END"
        for event, body in bodies.items()
    ]
    return create, [f"DROP TRIGGER IF EXISTS board_visitday_{event.lower()}" for event in bodies]


def visit_day_statements(vendor: str) -> tuple[list[str], list[str]]:
    """(create, drop) statements of the visit-counting triggers for `vendor`."""
    if vendor == "postgresql":
        return _visit_days_postgresql()
    if vendor == "sqlite":
        return _visit_days_sqlite()
    return [], []


def _shift_sqlite() -> str:
    offset = datetime.datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE)).utcoffset()
    return f"'{int(offset.total_seconds())} seconds'"


def _week(vendor: str, at: str) -> str:
    if vendor == "postgresql":
        return f"date_trunc('week', {at} AT TIME ZONE '{settings.TIME_ZONE}')::date"
    return f"date({at}, {_shift_sqlite()}, '-6 days', 'weekday 1')"  # the Monday on or before


def pool_week_count(vendor: str, source: str = "claims_ownershipevent") -> str:
    """INSERT … SELECT counting the pool flows of the events in `source` (the history, or a trigger's new rows)."""
    flowing = f"SELECT *, {FLOW_CASE.format(r='')} AS flow FROM {source}"
    return (
        f"INSERT INTO {POOL_WEEKS} (user_id, week, flow, n) "
        f"SELECT {FLOW_USER.format(flow='flow', r='')}, {_week(vendor, 'at')}, flow, count(*) FROM ({flowing}) e "
        f"WHERE flow > 0 GROUP BY 1, 2, 3 "
        f"ON CONFLICT (user_id, week, flow) DO UPDATE SET n = {POOL_WEEKS}.n + EXCLUDED.n"
    )


def pool_week_statements(vendor: str) -> tuple[list[str], list[str]]:
    """(create, drop) statements of the trigger counting ownership events per person, week and pool flow. The
    history is append-only: only inserts are counted."""
    if vendor == "postgresql":
        return (
            [
                statement_trigger_function("board_poolweek_insert", [pool_week_count(vendor, "new_rows")]),
                "CREATE TRIGGER board_poolweek_insert AFTER INSERT ON claims_ownershipevent "
                "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION board_poolweek_insert()",
            ],
            [
                "DROP TRIGGER IF EXISTS board_poolweek_insert ON claims_ownershipevent",
                "DROP FUNCTION IF EXISTS board_poolweek_insert()",
            ],
        )
    if vendor == "sqlite":
        flow = FLOW_CASE.format(r="NEW.")
        user = FLOW_USER.format(flow=f"({flow})", r="NEW.")
        return (
            [
                "CREATE TRIGGER board_poolweek_insert AFTER INSERT ON claims_ownershipevent FOR EACH ROW "
                f"WHEN ({flow}) > 0 BEGIN INSERT INTO {POOL_WEEKS} (user_id, week, flow, n) "
                f"VALUES ({user}, {_week(vendor, 'NEW.at')}, {flow}, 1) "
                "ON CONFLICT (user_id, week, flow) DO UPDATE SET n = n + 1; END"
            ],
            ["DROP TRIGGER IF EXISTS board_poolweek_insert"],
        )
    return [], []
