from django.core.management.base import BaseCommand, CommandError

from classpoint.scoping import unscoped
from messaging.defaults import MESSAGE_LANGUAGES, seed_default_message_templates
from messaging.errors import MessagingError
from messaging.models import Channel
from schools.models import School


class Command(BaseCommand):
    help = "Create the default message templates a school is missing (never changes one it has)."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--channel", choices=Channel.values, help="one channel (default: every channel)")
        parser.add_argument(
            "--language",
            choices=MESSAGE_LANGUAGES,
            help="one language (default: every message language)",
        )

    @unscoped(reason="an operator command naming its school by slug")
    def handle(self, *args, school, channel=None, language=None, **options):
        target = School.objects.filter(slug=school).first()
        if target is None:
            raise CommandError(f"No school with slug {school!r}.")
        try:
            created = sum(
                seed_default_message_templates(target, channel=channel, language=code)
                for code in ([language] if language else MESSAGE_LANGUAGES)
            )
        except MessagingError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{target.slug}: {created} template(s) created")
