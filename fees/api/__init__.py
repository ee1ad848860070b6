"""API: /api/v1/schools/<slug>/fee-items/, fee-schedules/, invoices/, awards/, families/<id>/credit/,
defaulters/. One module per entity; fees/api_urls.py routes to them."""
