"""What a school may switch off in the registrar (classpoint/flags.py): the public application form.
Off, `/s/<slug>/apply/` (and `/apply/` on the school's own hostname) answers 404. Applications staff
enter, and the links families already hold (status, sending what the school asked for), still work."""

from classpoint.flags import Feature

PUBLIC_APPLICATIONS = "public_applications"

FEATURES = [
    Feature(
        key=PUBLIC_APPLICATIONS,
        label="Public applications",
        description="Families apply for admission through the school's online form, without an account.",
        url_names=("application-form",),
    ),
]
