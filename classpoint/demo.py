"""The demo (`manage.py seed_demo`), seeded app by app.

Each app seeds its own part in `<app>/demo.py` with a function marked `@seeds_demo`, registered when
the app's AppConfig.ready imports that module (the way outbox handlers register). The command runs
the seeders in settings.CLASSPOINT_DEMO_ORDER, the layers bottom up, so each finds what the layers
below it made, and hands every one the same DemoContext: the school the demo is about, its staff,
what a seeder leaves for the one above it, and the lines the command prints at the end.

A seeder is idempotent: a re-run adds nothing that is already there."""

import struct
import zlib
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEMO_PASSWORD = "classpoint-demo"

_seeders = []


@dataclass
class DemoContext:
    students: int  # --students: pupils at the demo school (the second school gets a twentieth)
    school: object = None  # the demo school (Greenfield Academy), made by schools
    staff: dict = field(default_factory=dict)  # its staff users by role key ("bursar"), made by schools
    invoices: list = field(default_factory=list)  # issued by fees on this run (none on a re-run); payments pays some
    lines: list = field(default_factory=list)  # (text, success) for the command's output, in the order said
    logins: list = field(default_factory=list)  # (who, email), printed last

    def say(self, text, *, success=False):
        """A line of the command's output, printed once every seeder has run. `text` may be a callable
        returning it, for a count the layers above may still add to (the pupils the admissions enrol)."""
        self.lines.append((text, success))


def seeds_demo(seeder):
    """Decorator: `@seeds_demo` on `def seed(context)` in `<app>/demo.py`."""
    if seeder not in _seeders:
        _seeders.append(seeder)
    return seeder


def demo_seeders():
    """The registered seeders in CLASSPOINT_DEMO_ORDER (an app's own seeders in the order they were
    registered)."""
    order = list(settings.CLASSPOINT_DEMO_ORDER)

    def position(seeder):
        label = apps.get_containing_app_config(seeder.__module__).label
        if label not in order:
            raise ImproperlyConfigured(f"{label} seeds the demo but is not in CLASSPOINT_DEMO_ORDER.")
        return order.index(label)

    return sorted(_seeders, key=position)


def demo_png(width=240, height=120):
    """A plain PNG (a pale slip with a darker band) made without an imaging library: the demo's
    uploaded photos and bank-transfer slips."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + (bytes((30, 64, 120)) if 10 <= y < 30 else bytes((245, 247, 250))) * width for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
