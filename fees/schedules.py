# Hourly: each run scans the schools whose local clock is in OVERDUE_SCAN_LOCAL_HOUR, so every school
# is scanned once a day at its own morning whatever its time zone (a repeat run changes nothing).
SCHEDULES = [("overdue-scan", "fees.tasks.overdue_scan_due_schools", 60)]
