# Hourly: pay links nobody completed within PAYMENT_INTENT_TTL_HOURS are marked abandoned.
SCHEDULES = [("abandon-stale-intents", "payments.tasks.abandon_stale_intents", 60)]
