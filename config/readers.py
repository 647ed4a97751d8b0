"""Who may be told about an object: the readers registry every email and in-app
notification is filtered through (issue 14: team-private logs leak nowhere, emails
included).

``config`` never imports the apps, so each app registers its own models from its
``AppConfig.ready()``: for a model, a :data:`ReaderFn` — ``(users, obj) -> ids`` of the
users among ``users`` who may be told about ``obj``. Two kinds cover every model so far:

- :class:`ByFilter`: the app's read rule as a filter (``adr.access.readable_log_q``,
  ``risks.access.readable_acceptance_q``, ``triggers.access.readable_trigger_q``):
  whoever that filter lets read the object. One query for any number of users and of
  objects of one model (the outbox batches them, so a sweep's query count does not
  grow with its emails).
- :class:`Following`: the object is read by whoever reads another one (a comment: its
  decision or acceptance; a review: its decision; a fired event: its trigger).

*Told about* is *reads*, with one addition kept from before teams: a person with no role
at all (who reads no page of the ledger) but whom a writer named (a watcher, a signatory
asked to sign on the sign page) is told of what every reader reads — never of a
team-private log's documents, unless the rule names them (risks.access: owner and
signatories read their acceptance). Inactive users are told nothing.

An ``about`` of a model nobody registered is an **error** (:class:`UnknownSubject`),
not a silent send and not a silent drop: a new kind of email must say who may read what
it is about, and the first test that queues one fails until its app registers it
(``tests/permissions/test_private_emails.py`` drives every event of the table).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import BooleanField, Case, Q, Value, When

from config.accounts.roles import STAKEHOLDER, can_read
from config.registry import Registry

ReaderFn = Callable[[Sequence[Any], models.Model], set[int]]
"""``(users, obj) -> ids`` of those of ``users`` who may be told about ``obj``."""

# Booleans per query: PostgreSQL allows 1,664 columns; a sweep rarely has 50 people.
_COLUMNS = 500


class UnknownSubject(ImproperlyConfigured):
    """An email is about an object of a model no app registered readers for."""


@dataclass(frozen=True)
class SubjectReaders:
    label: str  # the model's ``_meta.label_lower``, e.g. "risks.riskacceptance"
    readers: ReaderFn


READERS: Registry[SubjectReaders] = Registry(
    "readers",
    "Per model (label_lower): who may be told about one of its objects (config.readers).",
)


def register(model: type[models.Model], readers: ReaderFn) -> SubjectReaders:
    """``readers`` decide who is told about objects of ``model``; the latest registration
    of a model replaces an earlier one (``ready()`` may run twice in tests)."""
    label = model._meta.label_lower
    for entry in READERS:
        if entry.label == label:
            READERS.unregister(entry)
    return READERS.register(SubjectReaders(label, readers))


def lookup(obj: models.Model) -> ReaderFn:
    label = obj._meta.label_lower
    for entry in READERS:
        if entry.label == label:
            return entry.readers
    raise UnknownSubject(
        f"Nobody registered who may read a {label}: register it with config.readers.register "
        "from its app's ready() before emailing about one."
    )


def readers_of(*, users: Iterable[Any], about: models.Model) -> set[int]:
    """The ids of those of ``users`` who may be told about ``about``."""
    people = [user for user in users if user is not None]
    readers = lookup(about)  # an unregistered model fails even with nobody to tell
    return readers(people, about) if people else set()


def readers_many(pairs: Iterable[tuple[Any, models.Model]]) -> set[tuple[int, str, Any]]:
    """For (user, about) pairs, the (user id, about's label, about's pk) triples that may
    be told: one query per model read :class:`ByFilter` (after :class:`Following` led
    to it), whatever the number of pairs."""
    wanted: dict[tuple[str, Any], tuple[models.Model, list[Any]]] = {}
    for user, about in pairs:
        wanted.setdefault((about._meta.label_lower, about.pk), (about, []))[1].append(user)
    allowed: set[tuple[int, str, Any]] = set()
    groups: dict[int, tuple[ByFilter, list[models.Model], list[Any]]] = {}
    resolved: dict[tuple[str, Any], tuple[str, Any]] = {}
    for key, (about, users) in wanted.items():
        target, readers = _resolve(about)
        if isinstance(readers, ByFilter):
            _readers, objs, group = groups.setdefault(id(readers), (readers, [], []))
            objs.append(target)
            group.extend(users)
            resolved[key] = (target._meta.label_lower, target.pk)
        else:
            allowed.update((uid, *key) for uid in readers(users, target))
    found: dict[tuple[str, Any], set[int]] = {}
    for readers, objs, group in groups.values():
        found.update(readers.many(_people(group), objs))
    for key, target_key in resolved.items():
        ids = found.get(target_key, set())
        allowed.update((user.pk, *key) for user in wanted[key][1] if user.pk in ids)
    return allowed


def told_refs(user: Any, refs: Iterable[tuple[str, Any]]) -> set[tuple[str, Any]]:
    """Of the (label, pk) references (an outbox row's ``subject_type``/``subject_id``),
    those ``user`` may be told about now: one query per model to load them, then as
    :func:`readers_many`. A reference to a row that no longer exists is not told."""
    wanted: dict[str, set[Any]] = defaultdict(set)
    for label, pk in refs:
        wanted[label].add(pk)
    objs = []
    for label, pks in wanted.items():
        model = apps.get_model(label)
        objs += list(model._default_manager.filter(pk__in=pks))
    if user is None or not objs:
        return set()
    return {(label, pk) for _uid, label, pk in readers_many((user, obj) for obj in objs)}


def _resolve(obj: models.Model) -> tuple[models.Model, ReaderFn]:
    """The object whose readers decide (a comment: its document) and their function."""
    readers = lookup(obj)
    while isinstance(readers, Following):
        obj = readers.parent(obj)
        readers = lookup(obj)
    return obj, readers


def _people(users: Iterable[Any]) -> list[Any]:
    """Active, saved users, each once, as the read rules must see them now: copies with
    their roles and teams freshly loaded (two queries), so a role cached on the caller's
    object before a membership changed is not trusted, and the caller's objects are not
    touched. A person with no role at all is seen as an organisation-wide stakeholder
    with no team: what every reader reads, plus what a rule grants them by name."""
    from django.contrib.auth import get_user_model

    from config.accounts.models import Membership

    seen: dict[int, Any] = {}
    for user in users:
        if user is not None and getattr(user, "pk", None) and getattr(user, "is_active", False):
            seen.setdefault(user.pk, user)
    if not seen:
        return []
    groups: dict[int, set[str]] = defaultdict(set)
    through = get_user_model().groups.through
    for uid, name in through.objects.filter(user_id__in=list(seen)).values_list(
        "user_id", "group__name"
    ):
        groups[uid].add(name)
    teams: dict[int, dict[int, str]] = defaultdict(dict)
    for uid, team_id, role in Membership.objects.filter(user_id__in=list(seen)).values_list(
        "user_id", "team_id", "role"
    ):
        teams[uid][team_id] = role
    people = []
    for uid, user in seen.items():
        person = copy.copy(user)
        # config.accounts.roles' per-user caches (user_roles, team_roles).
        person._ledger_roles = frozenset(groups[uid])
        person._ledger_team_roles = teams[uid]
        if not can_read(person):
            person._ledger_roles = frozenset({STAKEHOLDER})
        people.append(person)
    return people


class ByFilter:
    """Readers by the app's read rule: ``readable_q(user)`` is a filter on the model's
    rows (subqueries only, no extra query), as the app's lists use it."""

    def __init__(self, model: type[models.Model], readable_q: Callable[[Any], Q]) -> None:
        self.model = model
        self.readable_q = readable_q

    def __call__(self, users: Sequence[Any], obj: models.Model) -> set[int]:
        return self.many(_people(users), [obj]).get((obj._meta.label_lower, obj.pk), set())

    def many(
        self, users: Sequence[Any], objs: Sequence[models.Model]
    ) -> dict[tuple[str, Any], set[int]]:
        """{(label, pk): reader ids} for ``objs``; ``users`` as :func:`_people` gives
        them. One query per 500 users."""
        label = self.model._meta.label_lower
        found: dict[tuple[str, Any], set[int]] = {(label, obj.pk): set() for obj in objs}
        pks = [obj.pk for obj in objs]
        columns: dict[str, Case] = {}
        for user in users:
            q = self.readable_q(user)
            if not q:  # an empty filter: reads every row (staff)
                for key in found:
                    found[key].add(user.pk)
                continue
            columns[f"r{user.pk}"] = Case(
                When(q, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        names = list(columns)
        for start in range(0, len(names), _COLUMNS):
            chunk = {name: columns[name] for name in names[start : start + _COLUMNS]}
            rows = self.model._default_manager.filter(pk__in=pks).values("pk", **chunk)
            for row in rows:
                key = (label, row.pop("pk"))
                found[key].update(int(name[1:]) for name, yes in row.items() if yes)
        return found


class Following:
    """Readers of another object: ``parent(obj)`` (e.g. a comment's document)."""

    def __init__(self, parent: Callable[[Any], models.Model]) -> None:
        self.parent = parent

    def __call__(self, users: Sequence[Any], obj: models.Model) -> set[int]:
        return readers_of(users=users, about=self.parent(obj))
