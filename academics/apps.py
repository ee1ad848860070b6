from django.apps import AppConfig


class AcademicsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "academics"

    def ready(self):
        # demo registers this app's part of the demo (classpoint/demo.py); metrics their collectors.
        from . import demo, metrics  # noqa: F401
        from .sis import metrics as sis_metrics  # noqa: F401
