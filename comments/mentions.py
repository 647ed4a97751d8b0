"""``@username`` mentions: found in a comment's body, resolved to active people."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from .access import Document, noun, readers_among

# "@alice", "@bob.smith" — not an e-mail address ("x@y.org") nor inside a code span.
MENTION = re.compile(r"(?<![\w@.`])@([A-Za-z0-9_.+-]{1,150})(?<![.])")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def mentioned_names(body: str) -> list[str]:
    """Usernames mentioned in ``body``, each once, in order (code spans skipped)."""
    text = CODE.sub(" ", body)
    return list(dict.fromkeys(m.group(1) for m in MENTION.finditer(text)))


def resolve(body: str, *, document: Document) -> list:
    """The people ``body`` mentions; an unknown, inactive or non-reading name is an
    error naming it (nobody is told about a document they cannot open)."""
    names = mentioned_names(body)
    if not names:
        return []
    users = list(get_user_model().objects.filter(username__in=names))
    by_name = {u.username: u for u in users}
    readers = readers_among([u for u in users if u.is_active], document)
    problems = []
    for name in names:
        user = by_name.get(name)
        if user is None:
            problems.append(f"@{name} is not a known user.")
        elif not user.is_active:
            problems.append(f"@{name} is no longer active.")
        elif user.pk not in readers:
            problems.append(f"@{name} cannot read this {noun(document)}, so cannot be mentioned.")
    if problems:
        raise ValidationError({"body": problems})
    return [by_name[name] for name in names]
