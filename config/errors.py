"""One conversion of Django's ``ValidationError`` into what pages and the API show.

Services raise ``ValidationError`` (with a field dict or a plain list); views, forms,
the importer and the API turn it into messages through these functions only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.forms import BaseForm


def error_dict(error: ValidationError) -> dict[str, list[str]]:
    """Messages by field name; messages with no field are under ``__all__``."""
    if hasattr(error, "error_dict"):
        return {field: list(msgs) for field, msgs in error.message_dict.items()}
    return {NON_FIELD_ERRORS: list(error.messages)}


def error_messages(error: ValidationError, *, with_fields: bool = False) -> list[str]:
    """Flat list of messages; ``with_fields`` prefixes each with its field ("title: …")."""
    out: list[str] = []
    for field, msgs in error_dict(error).items():
        for msg in msgs:
            out.append(f"{field}: {msg}" if with_fields and field != NON_FIELD_ERRORS else msg)
    return out


def error_text(error: ValidationError) -> str:
    """One line for logs, job reports and CLI output: ``title: …; …``."""
    return "; ".join(error_messages(error, with_fields=True))


def add_to_form(form: BaseForm, error: ValidationError) -> None:
    """Attach a service's ValidationError to a bound form: a message for a field the
    form has goes to that field, anything else to the form's non-field errors."""
    for field, msgs in error_dict(error).items():
        target = field if field in form.fields else None
        for msg in msgs:
            form.add_error(target, msg)


def refuse_nul(**values: str | Iterable[str] | None) -> None:
    """Refuse text with a NUL character (PostgreSQL cannot store it) before it reaches a
    query: a ValidationError naming each field, instead of a database error."""
    bad = {
        name: ["This text contains a NUL character, which cannot be stored."]
        for name, value in values.items()
        if "\x00" in (value if isinstance(value, str) else " ".join(map(str, value or ())))
    }
    if bad:
        raise ValidationError(bad)
