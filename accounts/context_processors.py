from .navigation import nav_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = nav_for(user, request.path)
    # On a phone the menu is folded: the first count that needs attention stays visible beside it.
    alert = next((item for item in items if item["count"]), None)
    return {"nav_items": items, "nav_alert": alert}
