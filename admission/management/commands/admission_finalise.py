from django.core.management.base import BaseCommand

from admission import services


class Command(BaseCommand):
    help = "Make final every placement whose public notice is over (admission notice, message, 学籍)."

    def handle(self, *args, **options):
        outcomes = services.finalise_all_due()
        self.stdout.write(self.style.SUCCESS(f"finalised: {outcomes or 'nothing due'}"))
