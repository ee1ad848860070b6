"""What the schools service modules share."""


def field_changes(instance, data, fields):
    changes = {}
    for field in fields:
        if field in data and getattr(instance, field) != data[field]:
            changes[field] = [str(getattr(instance, field)), str(data[field])]
    return changes
