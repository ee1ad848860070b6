import phonenumbers


def normalize_phone(value, region="NG"):
    """E.164 for a phone typed the way people type them ("0803 123 4567", "+234..."), or ValueError."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Enter a valid phone number, e.g. +2348031234567.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Enter a valid phone number, e.g. +2348031234567.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
