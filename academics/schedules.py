"""Academics' scheduled jobs (read by classpoint.schedules): hourly, so "nightly" means each school's
own night (see academics.attendance.daily.daily_aggregate_due_schools)."""

SCHEDULES = [
    ("attendance-daily-aggregate", "academics.attendance.daily.daily_aggregate_due_schools", 60),
    ("attendance-interventions-scan", "academics.interventions.scan.interventions_scan_due_schools", 60),
    ("attendance-register-reminders", "academics.attendance.reminders.register_reminders_due", 15),
    ("sis-sync", "academics.sis.schedule.sis_sync_due", 60),
]
