"""The demo's registry (classpoint/demo.py): each app's seeder, run in the layers' order. What the demo
makes is tested with the command (schools/tests/test_services.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from classpoint.demo import demo_seeders


def test_the_apps_seed_the_demo_bottom_layer_first():
    assert [seeder.__module__ for seeder in demo_seeders()] == [
        "schools.demo",
        "academics.demo",
        "fees.demo",
        "payments.demo",
        "registrar.demo",
    ]


def test_an_app_that_seeds_the_demo_must_be_given_its_place_in_the_order(settings):
    settings.CLASSPOINT_DEMO_ORDER = ["schools", "fees", "payments", "registrar"]
    with pytest.raises(ImproperlyConfigured, match="academics seeds the demo"):
        demo_seeders()
