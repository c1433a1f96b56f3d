from tickets.services.notifications import unread_count


def notifications(request):
    """The unread count in the page header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from tickets.roles import CASE_READERS

    return {"unread_notifications": unread_count(user), "may_search": user.has_role(*CASE_READERS)}
