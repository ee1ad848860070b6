from django.apps import AppConfig


class AcademicsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "academics"

    def ready(self):
        from . import demo  # noqa: F401  (registers this app's part of the demo, classpoint/demo.py)
