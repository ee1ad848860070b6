from django.db.models import Q

from .models import FeatureFlag


def flag_enabled(school, key, default=False):
    """The school's own flag if it has one, else the global flag, else `default`."""
    rows = dict(
        FeatureFlag.objects.filter(Q(school=school) | Q(school__isnull=True), key=key).values_list(
            "school_id", "enabled"
        )
    )
    school_id = getattr(school, "pk", None)
    if school_id in rows:
        return rows[school_id]
    return rows.get(None, default)
