"""Start a ledger chain for acceptances that have none (once, after upgrading)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from risks.ledger_chain import chain_record
from risks.ledger_models import LedgerEvent
from risks.models import RiskAcceptance


class Command(BaseCommand):
    help = (
        "Give every acceptance without a ledger chain a first 'adopted' event that records "
        "its tables as they are now. Run it once after the upgrade that introduced the "
        "chain: it vouches for nothing before that moment (the chain says so), and "
        "acceptances that already have a chain are left alone."
    )

    def handle(self, *args, **options):
        chained = set(LedgerEvent.objects.values_list("acceptance_id", flat=True).distinct())
        started = 0
        for pk in (
            RiskAcceptance.objects.exclude(pk__in=chained)
            .order_by("pk")
            .values_list("pk", flat=True)
        ):
            with transaction.atomic():
                if LedgerEvent.objects.filter(acceptance_id=pk).exists():
                    continue  # another run got there first
                chain_record(
                    pk,
                    kind="adopted",
                    facts={"reason": "chain started for an acceptance that predates it"},
                )
            started += 1
        self.stdout.write(f"Started {started} chain(s); {len(chained)} already had one.")
