"""Full-text search of triggers (triggers/search.py): ``search_document`` over the name
(A), description (B) and justification (C), written by the database when that text
changes — the sweep's bookkeeping updates do not recompute it."""

import django.contrib.postgres.search
from django.db import migrations

from config.pgsql import postgres_only

FORWARD = r"""
CREATE FUNCTION triggers_trigger_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document :=
        setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A')
     || setweight(to_tsvector('english', coalesce(NEW.description, '')), 'B')
     || setweight(to_tsvector('english', coalesce(NEW.justification, '')), 'C');
    RETURN NEW;
END $$;
CREATE TRIGGER triggers_trigger_search_insert BEFORE INSERT ON triggers_trigger
    FOR EACH ROW EXECUTE FUNCTION triggers_trigger_search_refresh();
CREATE TRIGGER triggers_trigger_search_update BEFORE UPDATE ON triggers_trigger
    FOR EACH ROW WHEN (
        NEW.search_document IS NULL
        OR OLD.name IS DISTINCT FROM NEW.name
        OR OLD.description IS DISTINCT FROM NEW.description
        OR OLD.justification IS DISTINCT FROM NEW.justification
    ) EXECUTE FUNCTION triggers_trigger_search_refresh();

-- triggers.search.trigger_search: WHERE search_document @@ websearch_to_tsquery(…)
CREATE INDEX triggers_trigger_search_gin ON triggers_trigger USING gin (search_document);

UPDATE triggers_trigger SET search_document = NULL;
"""

REVERSE = r"""
DROP INDEX IF EXISTS triggers_trigger_search_gin;
DROP TRIGGER IF EXISTS triggers_trigger_search_update ON triggers_trigger;
DROP TRIGGER IF EXISTS triggers_trigger_search_insert ON triggers_trigger;
DROP FUNCTION IF EXISTS triggers_trigger_search_refresh();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("triggers", "0003_webhook_delivery_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="trigger",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        postgres_only(FORWARD, REVERSE),
    ]
