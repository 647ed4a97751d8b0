"""``{% render_panels slot obj %}``: render what later apps registered for a page slot
(see ``config/panels.py``)."""

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from config.panels import PanelSlot

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panels(context, slot: PanelSlot, obj) -> SafeString:
    user = context.get("user")
    parts = []
    for panel in slot.panels():
        extra = panel.extra(obj=obj, user=user) if panel.extra else {}
        ctx = context.flatten() | {"obj": obj, "panel": panel, "extra": extra}
        parts.append(get_template(panel.template).render(ctx, context.get("request")))
    return mark_safe("".join(parts))  # noqa: S308 - each part is an autoescaped template


@register.simple_tag
def panel_list(slot: PanelSlot) -> list:
    """The slot's panels, e.g. to list their titles in a table of contents."""
    return [p for p in slot.panels() if p.title]
