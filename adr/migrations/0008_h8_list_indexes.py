"""Index-backed list order and search candidates (docs/benchmarks.md).

`decision_recent` serves the decision list's default order and the search's first
matches in that order. On PostgreSQL the planner is also told what a `tsvector @@
tsquery` test costs per row (it reads, and often decompresses, the whole document):
with the built-in cost of 1 it walks `decision_recent` testing thousands of documents
for a word that the GIN index finds in a few milliseconds. At 5000 the plans compare
documents read: a rare word goes through the GIN index (no document read), a word in
most documents walks the index until it has its first matches. The change needs the
function's owner (a superuser); without that right it is skipped with a notice and
searches stay correct, only slower for words of middling frequency.
"""

from django.conf import settings
from django.db import migrations, models

MATCH_COST = """
DO $$ BEGIN
    ALTER FUNCTION ts_match_vq(tsvector, tsquery) COST {cost};
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'ts_match_vq cost left as it is (needs the owner of the function)';
END $$;
"""


def _set_cost(cost: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(MATCH_COST.format(cost=cost))

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("adr", "0007_search_neutral_consequences"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="decision",
            index=models.Index(fields=["-updated_at", "-id"], name="decision_recent"),
        ),
        migrations.AddIndex(
            model_name="decision",
            index=models.Index(
                condition=models.Q(("needs_review", True)),
                fields=["log", "-updated_at"],
                name="decision_needs_review",
            ),
        ),
        migrations.RunPython(_set_cost(5000), _set_cost(1), elidable=False),
    ]
