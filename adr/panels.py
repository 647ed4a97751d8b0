"""Slots of adr's pages that later apps fill (see ``config/panels.py``).

adr never names what goes in them; an app registers a ``Panel`` from its
``AppConfig.ready()``:

- ``DECISION_RELATED``: an ``<article>`` in the decision page's "Related" section,
  beside the relations. ``obj`` is the ``Decision``; ``prefetch`` lookups are relative
  to ``Decision`` and are added by ``selectors.decision_get`` (the page's query count
  stays fixed). The panel's ``title`` joins the section heading and the table of
  contents ("Relations, risk acceptances and triggers").
- ``SENSITIVITY_NOTE_BADGES``: inline badges after each "the matrix shifts if…" note.
  ``obj`` is the ``SensitivityNote``; ``prefetch`` lookups are relative to
  ``SensitivityNote`` (added to the notes' prefetch queryset).
- ``DECISION_SECTIONS``: whole sections after "Related" (review, comments). ``obj``
  is the ``Decision``; a panel with a ``title`` is listed in the table of contents and
  its template renders ``<section id="{{ panel.key }}">``. Use ``extra`` for reads.
- ``LOG_ACTIONS``: buttons next to "Edit log" on a log's page (shown to architects).
"""

from __future__ import annotations

from config.panels import PanelSlot

DECISION_RELATED = PanelSlot("adr.decision_related")
SENSITIVITY_NOTE_BADGES = PanelSlot("adr.sensitivity_note_badges")
DECISION_SECTIONS = PanelSlot("adr.decision_sections")
LOG_ACTIONS = PanelSlot("adr.log_actions")


def related_heading() -> str:
    """The "Related" section's heading: "Relations" and the titles of the panels in it
    ("Relations, risk acceptances and triggers")."""
    names = ["Relations", *(p.title.lower() for p in DECISION_RELATED.panels() if p.title)]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]
