# Every minute: deferred messages whose quiet hours are over are queued and sent; sends a killed
# worker left behind are failed (never resent).
SCHEDULES = [("messaging-release-deferred", "messaging.tasks.sweep", 1)]
