from django import template

register = template.Library()


@register.inclusion_tag("calendar/_profile.html", takes_context=True)
def calendar_feed_panel(context):
    """The profile page's calendar section: whether a URL is active, and the buttons."""
    user = context["request"].user
    feed = user.calendar_feeds.filter(revoked_at=None).first()
    return {"feed": feed, "csrf_token": context.get("csrf_token")}
