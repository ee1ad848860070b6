"""What the registrar app guards: admissions and the school dashboard it draws."""

PERMISSIONS = {
    "registrar.manage_applications": "Move applications through admission",
    "dashboard.view": "See the school dashboard and KPIs",
}
