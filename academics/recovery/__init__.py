"""Recovery sessions: time pupils make up after an absence (services.py writes, selectors.py reads)."""
