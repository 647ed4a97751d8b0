from django.core.management.base import BaseCommand

from triggers.sweep import sweep


class Command(BaseCommand):
    help = "One evaluation pass over due triggers (the same code the beat schedule runs)."

    def handle(self, *args, **options):
        result = sweep()
        self.stdout.write(str(result))
