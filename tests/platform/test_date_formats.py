"""One date format and one date-time format everywhere (config.dates).

Every template of every template directory (pages and emails) shows dates only through
`ledger_date` / `ledger_datetime`; `|date:"c"` is allowed inside `<time datetime>`
attributes (machine-readable). A date field printed raw (`{{ x.created_at }}`) would be
Django's own format: refused too.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.template import Context, Template, engines
from django.utils import timezone

from config.dates import format_date, format_datetime

ALLOWED_FILTERS = {"ledger_date", "ledger_datetime"}
# Names that hold dates in template contexts without being model fields.
CONTEXT_DATE_NAMES = {"when", "day", "at", "on", "locked_until", "history_date"}
# Quoted verbatim on purpose: (template name prefix, expression, why).
VERBATIM = {
    ("risks/templates/emails/ledger-checkpoint-", "{{ at }}"): (
        "the checkpoint line's own UTC timestamp string, as signed in the line it sends"
    ),
}


def _template_files() -> list[Path]:
    engine = engines["django"].engine
    dirs = {Path(d) for loader in engine.template_loaders for d in loader.get_dirs()}
    files = [p for d in dirs if d.is_dir() for p in d.rglob("*") if p.suffix in (".html", ".txt")]
    # Only ours: not Django's or a library's templates.
    root = Path(__file__).resolve().parents[2]
    return sorted(p for p in files if root in p.resolve().parents and ".venv" not in p.parts)


def _date_names() -> set[str]:
    names = set(CONTEXT_DATE_NAMES)
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if isinstance(f, models.DateField):  # DateTimeField is one too
                names.add(f.name)
    return names


def offending_date_usages(text: str, date_names: set[str]) -> list[str]:
    """Date expressions in a template's source that bypass the one format."""
    problems = []
    for match in re.finditer(r"\|(date|time)(?::(\"[^\"]*\"|'[^']*'))?", text):
        if match.group(1) == "date" and match.group(2) in ('"c"', "'c'"):
            continue
        problems.append(match.group(0))
    for match in re.finditer(r"\{\{\s*([\w.]+)\s*((?:\|[^}]*)?)\}\}", text):
        owner, _, name = match.group(1).rpartition(".")
        if name not in date_names:
            continue
        if owner == "f" or owner.endswith("form"):  # a form field: its widget renders it
            continue
        first_filter = match.group(2).lstrip("|").split("|")[0].split(":")[0].strip()
        if first_filter in ALLOWED_FILTERS or (first_filter == "date" and ":" in match.group(2)):
            continue  # |date:"c" is judged above
        problems.append(match.group(0))
    return problems


def test_every_template_shows_dates_in_the_one_format():
    files = _template_files()
    assert len(files) > 60, files  # the walk found the templates of every app
    names = _date_names()
    root = Path(__file__).resolve().parents[2]
    problems = []
    for path in files:
        name = str(path.resolve().relative_to(root))
        for usage in offending_date_usages(path.read_text(encoding="utf-8"), names):
            if not any(name.startswith(p) and usage == e for p, e in VERBATIM):
                problems.append(f"{name}: {usage}")
    assert not problems, "dates outside config.dates's formats:\n" + "\n".join(problems)


def test_the_check_catches_other_formats_and_raw_dates():
    names = _date_names()
    assert offending_date_usages('{{ n.created_at|date:"j M Y" }}', names)
    assert offending_date_usages("{{ d.decided_on }}", names)
    assert offending_date_usages('{{ d.revisit_by|default:"" }}', names)
    assert offending_date_usages("{{ at|time }}", names)
    assert not offending_date_usages("<time datetime=\"{{ x.when|date:'c' }}\">", names)
    assert not offending_date_usages('{{ d.revisit_by|ledger_date|default:"—" }}', names)
    assert not offending_date_usages("{{ d.title }}", names)
    assert not offending_date_usages("{{ form.revisit_by }}", names)


def test_the_formats_follow_the_active_time_zone():
    instant = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    with timezone.override("Europe/Berlin"):
        assert format_datetime(instant) == "2026-12-01 16:30 CET"
        assert format_datetime(instant, "UTC") == "2026-12-01 15:30 UTC"
        assert format_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "2027-01-01"
    with timezone.override("America/New_York"):
        assert format_datetime(instant) == "2026-12-01 10:30 EST"
    assert format_date(date(2026, 3, 7)) == "2026-03-07"
    assert format_date(None) == format_datetime(None) == ""
    rendered = Template("{{ d|ledger_date }} / {{ t|ledger_datetime }}").render(
        Context({"d": date(2026, 3, 7), "t": instant})
    )
    assert rendered.startswith("2026-03-07 / 2026-12-01 ")


@pytest.mark.parametrize("value", ["2026-03-07", "not a date"])
def test_a_stored_iso_string_shows_as_is(value):
    assert format_date(value) == value


@pytest.mark.django_db
def test_an_email_shows_times_in_its_recipients_time_zone(architect, stakeholder):
    from config.notifications.services import notification_enqueue

    stakeholder.time_zone = "America/New_York"
    stakeholder.save(update_fields=["time_zone"])
    context = {
        "acceptance": {"title": "Tokens"},
        "signature": {
            "printed_name": "Sam",
            "meaning": "risk owner",
            "signed_at": datetime(2026, 12, 1, 15, 30, tzinfo=UTC),
        },
    }
    rows = {
        user.username: notification_enqueue(
            recipient=f"{user.username}@example.org",
            event="risk.signed",
            dedupe_key=f"tz-test:{user.pk}",
            template="risk-signed",
            context=context,
            user=user,
        )
        for user in (architect, stakeholder)
    }
    assert "2026-12-01 16:30 CET" in rows["alice"].body_text  # no zone set: the server's
    assert "2026-12-01 10:30 EST" in rows["sam"].body_text
    assert "2026-12-01 10:30 EST" in rows["sam"].body_html


@pytest.mark.django_db
def test_date_inputs_ask_for_the_iso_format_not_the_browsers_locale(architect, login, log):
    client = login(architect)
    for url, name in (
        ("/risks/new/", "expires_on"),
        ("/decisions/new/?log=AUTH", "decided_on"),
        ("/triggers/initiatives/new/", "target_date"),
    ):
        page = client.get(url).content.decode()
        found = re.search(rf'<input [^>]*name="{name}"[^>]*>', page)
        assert found, (url, name)
        tag = found.group(0)
        assert 'type="text"' in tag and 'placeholder="YYYY-MM-DD"' in tag, tag
        assert r'pattern="\d{4}-\d{2}-\d{2}"' in tag, tag
