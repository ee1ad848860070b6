# Hourly: each run scans the schools whose local clock is in OVERDUE_SCAN_LOCAL_HOUR, so every school
# is scanned once a day at its own morning whatever its time zone (a repeat run changes nothing).
# Every 10 minutes: fold the defaulters' running totals so reading them stays a few hundred rows.
SCHEDULES = [
    ("overdue-scan", "fees.tasks.overdue_scan_due_schools", 60),
    ("compact-owing-totals", "fees.tasks.compact_owing_totals", 10),
]
