"""The attendance workspace under /s/<slug>/attendance/: the registers a teacher takes
(register_urls) and the attendance officer's pages (officer_urls)."""

from .officer_urls import urlpatterns as officer_patterns
from .register_urls import urlpatterns as register_patterns

urlpatterns = [*register_patterns, *officer_patterns]
