"""What the messaging app guards."""

PERMISSIONS = {
    "messaging.send": "Send messages and announcements to guardians",
    "messaging.manage_templates": "Edit message templates",
}
