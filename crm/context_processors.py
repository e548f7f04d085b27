from django.utils.functional import SimpleLazyObject

from .models import Notification


def notifications(request):
    """The unread count beside the user menu; counted only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: Notification.objects.filter(user=user).unread().count())}
