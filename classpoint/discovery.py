"""Finding each app's contribution to a kernel registry by module name (`<app>/schedules.py`,
`<app>/health.py`), so the kernel lists what the apps offer without naming a single app."""

import importlib

from django.apps import apps


def app_modules(name):
    """The `<app>.<name>` module of every installed app that has one, in INSTALLED_APPS order (the
    kernel's own excluded: it lists its part itself). An error inside such a module is raised."""
    found = []
    for config in apps.get_app_configs():
        if config.name == "classpoint":
            continue
        try:
            found.append(importlib.import_module(f"{config.name}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.{name}":
                raise
    return found
