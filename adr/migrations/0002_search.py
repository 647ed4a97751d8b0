"""Full-text search of decisions (adr/search.py).

``search_document`` is written by the database, whatever writes the rows (pages, API,
importer, demo, raw SQL): a BEFORE trigger on the decision recomputes it when its text
changes (or when it is NULL), and statement triggers on options, the tag links and tag
renames set it to NULL on the decisions they touch, which recomputes it. Weights: A =
reference and title, B = outcome and tags, C = context, drivers, consequences,
confirmation, more information, deciders; D = options (title, description, arguments,
findings, verdict).
"""

import django.contrib.postgres.search
from django.db import migrations

from config.pgsql import postgres_only

FORWARD = r"""
CREATE FUNCTION adr_decision_search_document(d adr_decision) RETURNS tsvector
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
        d.consequences_good, d.consequences_bad, d.confirmation, d.more_information,
        d.deciders)), 'C')
 || setweight(to_tsvector('english', coalesce(
        (SELECT string_agg(concat_ws(' ', o.title, o.description, o.good, o.neutral,
                                     o.bad, o.findings, o.verdict), ' ')
           FROM adr_option o WHERE o.decision_id = d.id), '')), 'D')
$$;

CREATE FUNCTION adr_decision_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := adr_decision_search_document(NEW);
    RETURN NEW;
END $$;

CREATE TRIGGER adr_decision_search_insert BEFORE INSERT ON adr_decision
    FOR EACH ROW EXECUTE FUNCTION adr_decision_search_refresh();
-- Only when text changed (or a part asked for it by setting NULL): the sweep's
-- "needs review" flag and other bookkeeping updates cost nothing extra.
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
        OR OLD.consequences_bad IS DISTINCT FROM NEW.consequences_bad
        OR OLD.confirmation IS DISTINCT FROM NEW.confirmation
        OR OLD.more_information IS DISTINCT FROM NEW.more_information
        OR OLD.deciders IS DISTINCT FROM NEW.deciders
    ) EXECUTE FUNCTION adr_decision_search_refresh();

-- Options and tag links: one UPDATE per statement over the decisions touched.
CREATE FUNCTION adr_decision_search_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE adr_decision SET search_document = NULL
     WHERE id IN (SELECT decision_id FROM changed);
    RETURN NULL;
END $$;
CREATE TRIGGER adr_option_search_insert AFTER INSERT ON adr_option
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION adr_decision_search_touch();
CREATE TRIGGER adr_option_search_update AFTER UPDATE ON adr_option
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION adr_decision_search_touch();
CREATE TRIGGER adr_option_search_delete AFTER DELETE ON adr_option
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION adr_decision_search_touch();
CREATE TRIGGER adr_decision_tags_search_insert AFTER INSERT ON adr_decision_tags
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION adr_decision_search_touch();
CREATE TRIGGER adr_decision_tags_search_delete AFTER DELETE ON adr_decision_tags
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION adr_decision_search_touch();

CREATE FUNCTION adr_tag_search_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE adr_decision SET search_document = NULL
     WHERE id IN (SELECT dt.decision_id FROM adr_decision_tags dt
                   WHERE dt.tag_id IN (SELECT id FROM changed));
    RETURN NULL;
END $$;
CREATE TRIGGER adr_tag_search_update AFTER UPDATE ON adr_tag
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION adr_tag_search_touch();

-- adr.search.decision_search: WHERE search_document @@ websearch_to_tsquery(…)
CREATE INDEX adr_decision_search_gin ON adr_decision USING gin (search_document);

UPDATE adr_decision SET search_document = NULL;
"""

REVERSE = r"""
DROP INDEX IF EXISTS adr_decision_search_gin;
DROP TRIGGER IF EXISTS adr_tag_search_update ON adr_tag;
DROP TRIGGER IF EXISTS adr_decision_tags_search_delete ON adr_decision_tags;
DROP TRIGGER IF EXISTS adr_decision_tags_search_insert ON adr_decision_tags;
DROP TRIGGER IF EXISTS adr_option_search_delete ON adr_option;
DROP TRIGGER IF EXISTS adr_option_search_update ON adr_option;
DROP TRIGGER IF EXISTS adr_option_search_insert ON adr_option;
DROP TRIGGER IF EXISTS adr_decision_search_update ON adr_decision;
DROP TRIGGER IF EXISTS adr_decision_search_insert ON adr_decision;
DROP FUNCTION IF EXISTS adr_tag_search_touch();
DROP FUNCTION IF EXISTS adr_decision_search_touch();
DROP FUNCTION IF EXISTS adr_decision_search_refresh();
DROP FUNCTION IF EXISTS adr_decision_search_document(adr_decision);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("adr", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="decision",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        postgres_only(FORWARD, REVERSE),
    ]
