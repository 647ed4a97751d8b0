"""Full-text search of risk acceptances (risks/search.py).

``search_document`` is written by the database (as for decisions, adr 0002_search):
weights A = title and finding reference, B = risk statement, C = scope and residual
risk, D = mitigations. Mitigation changes set it to NULL on their acceptance, which
recomputes it.
"""

import django.contrib.postgres.search
from django.db import migrations

from config.pgsql import postgres_only

FORWARD = r"""
CREATE FUNCTION risks_acceptance_search_document(a risks_riskacceptance) RETURNS tsvector
LANGUAGE sql STABLE AS $$
SELECT
    setweight(to_tsvector('english', concat_ws(' ', a.title, a.finding_reference)), 'A')
 || setweight(to_tsvector('english', coalesce(a.risk_statement, '')), 'B')
 || setweight(to_tsvector('english', concat_ws(' ', a.scope, a.residual_risk)), 'C')
 || setweight(to_tsvector('english', coalesce(
        (SELECT string_agg(m.description, ' ') FROM risks_mitigation m
          WHERE m.acceptance_id = a.id), '')), 'D')
$$;

CREATE FUNCTION risks_acceptance_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := risks_acceptance_search_document(NEW);
    RETURN NEW;
END $$;
CREATE TRIGGER risks_acceptance_search_insert BEFORE INSERT ON risks_riskacceptance
    FOR EACH ROW EXECUTE FUNCTION risks_acceptance_search_refresh();
CREATE TRIGGER risks_acceptance_search_update BEFORE UPDATE ON risks_riskacceptance
    FOR EACH ROW WHEN (
        NEW.search_document IS NULL
        OR OLD.title IS DISTINCT FROM NEW.title
        OR OLD.finding_reference IS DISTINCT FROM NEW.finding_reference
        OR OLD.risk_statement IS DISTINCT FROM NEW.risk_statement
        OR OLD.scope IS DISTINCT FROM NEW.scope
        OR OLD.residual_risk IS DISTINCT FROM NEW.residual_risk
    ) EXECUTE FUNCTION risks_acceptance_search_refresh();

CREATE FUNCTION risks_acceptance_search_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE risks_riskacceptance SET search_document = NULL
     WHERE id IN (SELECT acceptance_id FROM changed);
    RETURN NULL;
END $$;
CREATE TRIGGER risks_mitigation_search_insert AFTER INSERT ON risks_mitigation
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION risks_acceptance_search_touch();
CREATE TRIGGER risks_mitigation_search_update AFTER UPDATE ON risks_mitigation
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION risks_acceptance_search_touch();
CREATE TRIGGER risks_mitigation_search_delete AFTER DELETE ON risks_mitigation
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION risks_acceptance_search_touch();

-- risks.search.acceptance_search: WHERE search_document @@ websearch_to_tsquery(…)
CREATE INDEX risks_acceptance_search_gin ON risks_riskacceptance USING gin (search_document);

UPDATE risks_riskacceptance SET search_document = NULL;
"""

REVERSE = r"""
DROP INDEX IF EXISTS risks_acceptance_search_gin;
DROP TRIGGER IF EXISTS risks_mitigation_search_delete ON risks_mitigation;
DROP TRIGGER IF EXISTS risks_mitigation_search_update ON risks_mitigation;
DROP TRIGGER IF EXISTS risks_mitigation_search_insert ON risks_mitigation;
DROP TRIGGER IF EXISTS risks_acceptance_search_update ON risks_riskacceptance;
DROP TRIGGER IF EXISTS risks_acceptance_search_insert ON risks_riskacceptance;
DROP FUNCTION IF EXISTS risks_acceptance_search_touch();
DROP FUNCTION IF EXISTS risks_acceptance_search_refresh();
DROP FUNCTION IF EXISTS risks_acceptance_search_document(risks_riskacceptance);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("risks", "0002_signing_round"),
    ]

    operations = [
        migrations.AddField(
            model_name="riskacceptance",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        postgres_only(FORWARD, REVERSE),
    ]
