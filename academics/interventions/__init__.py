"""Truancy interventions: the daily scan that drafts them (scan.py), the letters' wording and PDF
(letters.py) and what staff do with them: send, acknowledge, close, meet (services.py)."""
