"""`manage.py check --database default` also reports customers stranded with someone who left."""

from django.core import checks
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from .stranded import stranded_holders


def _migrated(alias) -> bool:
    """`migrate` runs the checks before it migrates: a database still missing tables or columns has nothing to
    report yet."""
    executor = MigrationExecutor(connections[alias])
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


@checks.register(checks.Tags.database)
def stranded_customers_check(app_configs=None, databases=None, **kwargs):
    """Run only with --database (Django runs no database checks by default): it reads the customers."""
    if not databases or not all(_migrated(alias) for alias in databases):
        return []
    return [
        checks.Warning(
            f"{person} ({person.username}) is inactive or departed and still holds {person.held} customer(s).",
            hint=f"Move them on the departure page: {person.departure_url}",
            obj=person,
            id="claims.W001",
        )
        for person in stranded_holders()
    ]
