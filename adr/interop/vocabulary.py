"""The words ADR files use: statuses, relation verbs, metadata keys and section headings.

A status is read from its *leading* word ("Deprecated (no superseding ADR)" is
deprecated; "accepted; supersedes ADR-0045" is accepted, and supersedes 45): a later
word that merely mentions another status never changes it.
"""

from __future__ import annotations

import re

from .markdown import LINK, normalise_heading

# Leading word (or two) → status.
STATUS_WORDS: dict[str, str] = {
    "proposed": "proposed",
    "proposal": "proposed",
    "pending": "proposed",
    "draft": "proposed",
    "open": "proposed",
    "in progress": "proposed",
    "in review": "proposed",
    "under review": "proposed",
    "accepted": "accepted",
    "accept": "accepted",
    "approved": "accepted",
    "adopted": "accepted",
    "agreed": "accepted",
    "decided": "accepted",
    "done": "accepted",
    "rejected": "rejected",
    "declined": "rejected",
    "withdrawn": "rejected",
    "deferred": "deferred",
    "postponed": "deferred",
    "on hold": "deferred",
    "deprecated": "deprecated",
    "depreciated": "deprecated",
    "obsolete": "deprecated",
    "retired": "deprecated",
    "superseded": "superseded",
    "superceded": "superseded",
    "replaced": "superseded",
}

RELATION_VERBS: dict[str, tuple[str, bool]] = {
    # verb: (relation kind, inverse — i.e. the linked file is the source)
    "supersedes": ("supersedes", False),
    "superseded by": ("supersedes", True),
    "superceded by": ("supersedes", True),
    "supercedes": ("supersedes", False),
    "replaced by": ("supersedes", True),
    "replaces": ("supersedes", False),
    "amends": ("amends", False),
    "amended by": ("amends", True),
    "refines": ("amends", False),
    "refined by": ("amends", True),
    "clarifies": ("amends", False),
    "clarified by": ("amends", True),
    "extends": ("amends", False),
    "extended by": ("amends", True),
    "relates to": ("relates_to", False),
    "related to": ("relates_to", False),
}
CANONICAL_VERBS = {"supersedes", "superseded by", "amends", "amended by", "relates to"}
_VERB_RE = "|".join(sorted((re.escape(v) for v in RELATION_VERBS), key=len, reverse=True))
_TARGET = (
    r"(?:\[(?P<text>[^\]]*)\]\((?P<href>[^)\s]+)\)"
    r"|(?P<ref>\bADR[- ]?(?P<num>\d{1,7})\b))"
)
# A whole line that is a relation: "Superseded by [3. X](0003-x.md) — note".
RELATION_LINE = re.compile(
    rf"^\s*(?:[*-]\s+)?(?P<verb>{_VERB_RE})\s*:?\s*{_TARGET}"
    r"\s*(?:[—–-]\s*(?P<note>.*?))?\s*$",
    re.IGNORECASE,
)
# A relation inside other text (a status value: "accepted; supersedes ADR-0045").
RELATION_ANYWHERE = re.compile(rf"\b(?P<verb>{_VERB_RE})\s*:?\s*{_TARGET}", re.IGNORECASE)

META_KEYS = {
    "status": "status",
    "date": "date",
    "last updated": "date",
    "deciders": "deciders",
    "decision-makers": "deciders",
    "decision makers": "deciders",
    "decision-maker": "deciders",
    "decision makers(s)": "deciders",
    "consulted": "consulted",
    "informed": "informed",
    "tags": "tags",
    "tag": "tags",
    "category": "tags",
    "categories": "tags",
    "revisit-by": "revisit_by",
    "revisit by": "revisit_by",
}
META_LINE = re.compile(
    r"^\s*(?:[*-]\s+)?(?:\*\*)?(?P<key>[A-Za-z][A-Za-z() -]{1,20}?)(?:\*\*)?\s*:(?:\*\*)?"
    r"\s*(?P<value>.*?)\s*$"
)

SECTION_KEYS = {
    "status": "status",
    "context": "context",
    "context and problem statement": "context",
    "context and problem": "context",
    "problem statement": "context",
    "problem": "context",
    "background": "context",
    "decision drivers": "drivers",
    "drivers": "drivers",
    "decision drivers and constraints": "drivers",
    "considered options": "options",
    "options": "options",
    "options considered": "options",
    "considered alternatives": "options",
    "alternatives": "options",
    "decision outcome": "outcome",
    "decision": "outcome",
    "outcome": "outcome",
    "consequences": "consequences",
    "positive consequences": "cons_good",
    "negative consequences": "cons_bad",
    "good consequences": "cons_good",
    "bad consequences": "cons_bad",
    "neutral consequences": "cons_neutral",
    "confirmation": "confirmation",
    "validation": "confirmation",
    "pros and cons of the options": "pros_cons",
    "pros and cons of the alternatives": "pros_cons",
    "pros and cons": "pros_cons",
    "more information": "more",
    "links": "links",
    "decision matrix": "matrix",
}
# Sub-headings of a consequences block that say its polarity.
POLARITY_HEADINGS = {
    "positive consequences": "good",
    "good consequences": "good",
    "positive": "good",
    "good": "good",
    "pros": "good",
    "negative consequences": "bad",
    "bad consequences": "bad",
    "negative": "bad",
    "bad": "bad",
    "cons": "bad",
    "neutral consequences": "neutral",
    "neutral": "neutral",
}
# Free-text sections: a heading the parser does not know, right after one of these,
# belongs to it.
STICKY = {
    "context",
    "drivers",
    "outcome",
    "consequences",
    "cons_good",
    "cons_bad",
    "cons_neutral",
    "confirmation",
    "more",
    "pros_cons",
}
# A title's prefix that is not part of the title: "ADR 3:", "12.", "Architecture
# Decision Record:".
TITLE_PREFIX = re.compile(
    r"^(?:(?:ADR|Architecture Decision Record)\b[-\s]*(?:\d+)?\s*[.:)]?\s*[-–—:]?\s*"
    r"|\d+[.:)]?\s+(?:[-–—:]\s+)?)",
    re.IGNORECASE,
)


def section_key(heading: str) -> str | None:
    return SECTION_KEYS.get(normalise_heading(heading))


def _status_text(raw: str) -> str:
    text = re.sub(r"<!--.*?-->", "", raw, flags=re.DOTALL)
    text = re.sub(r"[*_`]", "", text).strip().lower()
    return re.sub(r"\s+", " ", text)


def map_status(raw: str) -> tuple[str | None, bool]:
    """(status, exact) from the leading word of a status text. `exact` is False when
    the text says more than the status and its relations."""
    text = _status_text(raw)
    if not text:
        return None, True
    words = re.findall(r"[a-z]+", text)
    status = None
    used = 0
    if len(words) >= 2 and f"{words[0]} {words[1]}" in STATUS_WORDS and text.startswith(words[0]):
        status, used = STATUS_WORDS[f"{words[0]} {words[1]}"], 2
    elif words and text.startswith(words[0]) and words[0] in STATUS_WORDS:
        status, used = STATUS_WORDS[words[0]], 1
    if status is None:
        return None, False
    rest = text
    for _ in range(used):
        rest = re.sub(r"^[^a-z]*[a-z]+", "", rest, count=1)
    rest = RELATION_ANYWHERE.sub("", rest)
    rest = LINK.sub("", rest)
    rest = re.sub(r"^\s*by\b", "", rest)
    return status, not re.sub(r"[\s.,;:!\"'()]", "", rest)
