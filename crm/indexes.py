"""Indexes only PostgreSQL can build (GIN, operator classes, NULLS LAST), declared so that Django knows them.

Declared in `Meta.indexes`, Django's model state holds them (`makemigrations` sees no difference, a later
migration may alter or remove them), but on another database their SQL is a comment: SQLite rebuilds a table
for many schema changes and re-creates every declared index, which must not fail on a GIN index.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.backends.ddl_references import Statement
from django.db.models.functions import Cast


class PostgresOnly:
    max_name_length = 63  # PostgreSQL's own limit: Django's 30 is Oracle's, and these never reach Oracle

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Statement("-- %(name)s: PostgreSQL only", name=self.name)
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Statement("-- %(name)s: PostgreSQL only", name=self.name)
        return super().remove_sql(model, schema_editor, **kwargs)


class PostgresIndex(PostgresOnly, models.Index):
    """A B-tree index with what SQLite cannot build (NULLS LAST, an operator class)."""


class PostgresGinIndex(PostgresOnly, GinIndex):
    """A GIN index (trigrams, arrays)."""


class NameBigrams(models.Func):
    """The expression the customer_name_bigrams index is built on (migration 0012, declared in Customer.Meta)."""

    function = "crm_bigrams"
    arg_joiner = " || ' ' || "
    output_field = ArrayField(models.TextField())

    def __init__(self):
        text = models.TextField()
        super().__init__(Cast("name_normalized", text), Cast("name", text))


class TextBigrams(models.Func):
    """crm_bigrams() of one text column: the expression the contact_name_bigrams index is built on."""

    function = "crm_bigrams"
    output_field = ArrayField(models.TextField())

    def __init__(self, field):
        super().__init__(Cast(field, models.TextField()))
