from django.apps import AppConfig


class ClasspointConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "classpoint"
    verbose_name = "Platform"

    def ready(self):
        from . import metrics, signals  # noqa: F401  (collectors and signal receivers register on import)
        from .outbox.registry import autodiscover_handlers

        autodiscover_handlers()
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_schedules_once, sender=self, dispatch_uid="classpoint-schedules")


def _ensure_schedules_once(sender, **kwargs):
    from .schedules import ensure_schedules

    ensure_schedules()
