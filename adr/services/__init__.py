"""Writes to the decision log. Every state change goes through a function here.

Functions are keyword-only, take the acting user, check permissions and rules,
run in a transaction and record actor + reason on the history rows they write.

What lives where (everything public is importable from ``adr.services``):

- ``logs``: decision logs and the gap-free numbering of their decisions;
- ``lifecycle``: the status machine (``TRANSITIONS``), the deferral rule and its
  ``DEFERRAL_ALTERNATIVES`` registry (later apps add "what else backs a deferral"),
  the "needs review" flag;
- ``decisions``: a decision's own fields and tags (create, edit);
- ``parts``: options, criteria, matrix cells, sensitivity notes and relations;
- ``writer``: ``decision_save_full``, the one path that writes a whole decision (edit
  page, API, importer, demo).
"""

from .decisions import (
    EDITABLE_FIELDS,
    SOURCE_FIELDS,
    decision_create,
    decision_update,
    parse_tags,
    set_tags,
    tag_names,
)
from .lifecycle import (
    DEFERRAL_ALTERNATIVES,
    TRANSITIONS,
    decision_change_status,
    decision_clear_review,
    decision_flag_review,
    deferral_is_backed,
)
from .logs import log_create, log_update
from .parts import (
    cell_set,
    criterion_delete,
    criterion_save,
    option_delete,
    option_save,
    part_delete,
    part_save,
    relation_add,
    relation_remove,
    sensitivity_note_delete,
    sensitivity_note_save,
)
from .writer import (
    CellRow,
    CriterionRow,
    NoteRow,
    OptionRow,
    RelationRow,
    decision_save_full,
    rows_by_position,
)

__all__ = [
    "DEFERRAL_ALTERNATIVES",
    "EDITABLE_FIELDS",
    "SOURCE_FIELDS",
    "TRANSITIONS",
    "CellRow",
    "CriterionRow",
    "NoteRow",
    "OptionRow",
    "RelationRow",
    "cell_set",
    "criterion_delete",
    "criterion_save",
    "decision_change_status",
    "decision_clear_review",
    "decision_create",
    "decision_flag_review",
    "decision_save_full",
    "decision_update",
    "deferral_is_backed",
    "log_create",
    "log_update",
    "option_delete",
    "option_save",
    "parse_tags",
    "part_delete",
    "part_save",
    "relation_add",
    "relation_remove",
    "rows_by_position",
    "sensitivity_note_delete",
    "sensitivity_note_save",
    "set_tags",
    "tag_names",
]
