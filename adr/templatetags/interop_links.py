"""`{{ html|adr_links:decision }}`: links between ADR files become in-app links."""

from django import template

from adr.interop.links import resolve_links

register = template.Library()


@register.filter
def adr_links(html, decision):
    return resolve_links(str(html or ""), decision)
