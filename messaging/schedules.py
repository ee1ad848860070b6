# Every minute: deferred messages whose quiet hours are over are queued and sent; sends a killed
# worker left behind are failed (never resent).
SCHEDULES = [("messaging-release-deferred", "messaging.tasks.sweep", 1)]
# Every minute: announcements whose scheduled time has come are published.
SCHEDULES.append(("messaging-publish-announcements", "messaging.announcements.publish_due", 1))
