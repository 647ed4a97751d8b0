"""The decision search document (0002_search) also covers neutral consequences (0004)."""

from django.db import migrations

from config.pgsql import postgres_only

DOCUMENT = r"""
CREATE OR REPLACE FUNCTION adr_decision_search_document(d adr_decision) RETURNS tsvector
LANGUAGE sql STABLE AS $$
SELECT
    setweight(to_tsvector('english', coalesce(d.title, '')), 'A')
 || setweight(to_tsvector('simple', coalesce(
        (SELECT l.key FROM adr_decisionlog l WHERE l.id = d.log_id), '')
        || '-' || lpad(d.number::text, 4, '0')), 'A')
 || setweight(to_tsvector('english', concat_ws(' ', d.outcome_rationale,
        (SELECT string_agg(t.name, ' ') FROM adr_decision_tags dt
           JOIN adr_tag t ON t.id = dt.tag_id WHERE dt.decision_id = d.id))), 'B')
 || setweight(to_tsvector('english', concat_ws(' ', d.context, d.drivers,
        d.consequences_good, d.consequences_neutral, d.consequences_bad, d.confirmation,
        d.more_information, d.deciders)), 'C')
 || setweight(to_tsvector('english', coalesce(
        (SELECT string_agg(concat_ws(' ', o.title, o.description, o.good, o.neutral,
                                     o.bad, o.findings, o.verdict), ' ')
           FROM adr_option o WHERE o.decision_id = d.id), '')), 'D')
$$;
"""

UPDATE_TRIGGER = r"""
DROP TRIGGER IF EXISTS adr_decision_search_update ON adr_decision;
CREATE TRIGGER adr_decision_search_update BEFORE UPDATE ON adr_decision
    FOR EACH ROW WHEN (
        NEW.search_document IS NULL
        OR OLD.title IS DISTINCT FROM NEW.title
        OR OLD.log_id IS DISTINCT FROM NEW.log_id
        OR OLD.number IS DISTINCT FROM NEW.number
        OR OLD.outcome_rationale IS DISTINCT FROM NEW.outcome_rationale
        OR OLD.context IS DISTINCT FROM NEW.context
        OR OLD.drivers IS DISTINCT FROM NEW.drivers
        OR OLD.consequences_good IS DISTINCT FROM NEW.consequences_good
        OR OLD.consequences_neutral IS DISTINCT FROM NEW.consequences_neutral
        OR OLD.consequences_bad IS DISTINCT FROM NEW.consequences_bad
        OR OLD.confirmation IS DISTINCT FROM NEW.confirmation
        OR OLD.more_information IS DISTINCT FROM NEW.more_information
        OR OLD.deciders IS DISTINCT FROM NEW.deciders
    ) EXECUTE FUNCTION adr_decision_search_refresh();
UPDATE adr_decision SET search_document = NULL WHERE consequences_neutral <> '';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("adr", "0006_h8_import_job"),
    ]

    # Reversing keeps the wider document: harmless, and the old function would no longer
    # match the older table.
    operations = [postgres_only(DOCUMENT + UPDATE_TRIGGER, "SELECT 1;")]
