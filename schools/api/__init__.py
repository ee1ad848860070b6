"""API for a school and its people: /api/v1/schools/<slug>/... (school, students, guardians,
class-groups, terms, enrollments) and /api/v1/platform/schools/. One module per entity;
schools/api_urls.py and schools/platform_api_urls.py route to them."""
