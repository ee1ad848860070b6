"""Attendance: the school's codes and policy (codes.py), registers and marks (registers.py), and the
same-day alerts they ask messaging for (alerts.py). Reads for pages and the API are in selectors.py."""
