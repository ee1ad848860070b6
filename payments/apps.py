from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"

    def ready(self):
        from . import demo  # noqa: F401  (registers this app's part of the demo, classpoint/demo.py)
