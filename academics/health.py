"""Academics' entries in GET /api/health (read by classpoint.health): `sis`, the SIS sync across
every school, from the run log (no call to any SIS: the health check must stay fast and never wait
on a district's server). No school is named, only counts."""

from .sis.status import platform_state


def check_sis():
    """reachable / not_configured: healthy; failing: degraded (the node can still serve; an SIS
    outage must not take it out of the load balancer)."""
    state, figures = platform_state()
    return ("degraded" if state == "failing" else "healthy"), {"state": state, **figures}


CHECKS = {"sis": check_sis}
