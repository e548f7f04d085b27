"""The kinds of record that hold attachments, and who may see or change each one's.

An owner's app registers its model in its `AppConfig.ready()`. Evidence sits below visits and beside complaints
(see the import-linter contracts), so it asks them through this registry instead of importing them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet


@dataclass(frozen=True)
class Owner:
    model: type[Model]
    visible: Callable[..., QuerySet]  # user -> the records of this kind the user may see
    can_attach: Callable[..., bool]  # (user, record) -> may add or remove the record's attachments


_owners: dict[str, Owner] = {}


def register(model, *, visible, can_attach):
    _owners[model._meta.label_lower] = Owner(model=model, visible=visible, can_attach=can_attach)


def owner_of(record) -> Owner:
    return _owners[record._meta.label_lower]


def visible_q(user) -> Q:
    """Attachments of the records the user may see, whatever their kind."""
    condition = Q(pk__in=[])
    for owner in _owners.values():
        content_type = ContentType.objects.get_for_model(owner.model)
        condition |= Q(owner_type=content_type, owner_id__in=owner.visible(user).values("pk"))
    return condition


def can_attach(user, record) -> bool:
    return owner_of(record).can_attach(user, record)
