"""The attendance workspace under /s/<slug>/attendance/: the registers a teacher takes
(register_urls), the attendance officer's pages (officer_urls), truancy interventions
(intervention_urls) and recovery sessions (recovery_urls)."""

from .intervention_urls import urlpatterns as intervention_patterns
from .officer_urls import urlpatterns as officer_patterns
from .recovery_urls import urlpatterns as recovery_patterns
from .register_urls import urlpatterns as register_patterns

urlpatterns = [*register_patterns, *officer_patterns, *intervention_patterns, *recovery_patterns]
