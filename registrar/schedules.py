# Hourly: "daily at 02:00 school time". Each run aggregates yesterday's KPI sinks for the schools whose
# local clock is in KPI_AGGREGATE_LOCAL_HOUR, and, later in their day, for any school whose yesterday is
# still missing (a missed run is caught up an hour later); re-running a day rewrites the same rows. The
# cluster runs schedules with catch_up False (settings.Q_CLUSTER), so a scheduler that was down does not
# replay every missed hour at once. See registrar.kpi.kpi_aggregate_due_schools.
SCHEDULES = [("kpi-daily-aggregate", "registrar.kpi.kpi_aggregate_due_schools", 60)]
