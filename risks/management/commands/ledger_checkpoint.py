"""Append a signed checkpoint of every ledger chain head outside the database."""

from django.core.management.base import BaseCommand, CommandError

from risks.ledger_checkpoint import checkpoint_path, checkpoint_publish


class Command(BaseCommand):
    help = (
        "Append one HMAC-signed line (every chain's event count and head MAC) to "
        "<LEDGER_CHECKPOINT_DIR>/checkpoints.jsonl; the same function the beat schedule runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint-dir", default=None)

    def handle(self, *args, **options):
        try:
            line = checkpoint_publish(options["checkpoint_dir"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        where = checkpoint_path(options["checkpoint_dir"])
        self.stdout.write(
            f"Checkpoint written to {where}: {len(line['chains'])} of {line['total']} "
            "chain head(s) moved."
        )
