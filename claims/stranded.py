"""The nightly check that no customer stays with someone who left (DOMAIN §5.8).

Departure goes through claims.services.rep_depart, and the user model refuses to make a holder
inactive by a plain save; a bulk SQL update or an old database can still leave such customers.
Each admin is told once per person, with a link to that person's departure page.
"""

import logging

from django.db import transaction
from django.db.models import Count
from django.utils.translation import ngettext, override

from accounts.models import Role, User
from crm.models import Customer, Notification, NotificationKind

logger = logging.getLogger(__name__)


def stranded_holders():
    """People who are inactive or departed and still hold customers, each with `held`, the number."""
    return (
        User.objects.filter(pk__in=Customer.objects.held_by_people_who_left().values("owner"))
        .annotate(held=Count("customers"))
        .order_by("username")
    )


def _detail(person, language):
    with override(language):
        return ngettext(
            "%(name)s (%(username)s) has left or cannot log in, and still holds %(count)s customer. "
            "Move it on their departure page.",
            "%(name)s (%(username)s) has left or cannot log in, and still holds %(count)s customers. "
            "Move them on their departure page.",
            person.held,
        ) % {"name": person, "username": person.username, "count": person.held}


@transaction.atomic
def stranded_customers_report() -> int:
    """Tell every admin about each person holding customers after leaving; returns the notifications made.

    Idempotent: an admin with an unread notice about that person gets no second one, and the admins'
    rows are locked, so two runs at once make one set.
    """
    holders = list(stranded_holders())
    if not holders:
        return 0
    for person in holders:
        logger.warning("%s (id %s) is inactive or departed and holds %s customers", person, person.pk, person.held)
    admins = list(User.objects.current().filter(role=Role.ADMIN).select_for_update().order_by("pk"))
    told = set(
        Notification.objects.unread()
        .filter(kind=NotificationKind.STRANDED_CUSTOMERS, user__in=admins)
        .values_list("user", "link")
    )
    notices = [
        Notification(
            user=admin,
            kind=NotificationKind.STRANDED_CUSTOMERS,
            detail=_detail(person, admin.email_language)[:255],
            link=person.departure_url,
        )
        for admin in admins
        for person in holders
        if (admin.pk, person.departure_url) not in told
    ]
    Notification.objects.bulk_create(notices)
    return len(notices)
