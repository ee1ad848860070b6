"""Academics' scheduled jobs (read by classpoint.schedules): hourly, so "nightly" means each school's
own night (see academics.attendance.daily.daily_aggregate_due_schools)."""

SCHEDULES = [("attendance-daily-aggregate", "academics.attendance.daily.daily_aggregate_due_schools", 60)]
