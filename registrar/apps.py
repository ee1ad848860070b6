from django.apps import AppConfig


class RegistrarConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "registrar"

    def ready(self):
        # Registered on import: the seats placed applicants hold (counted by schools' enrolments too)
        # and this app's part of the demo.
        from . import demo, placement  # noqa: F401
