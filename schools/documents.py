"""What every school document shares: the school's letterhead (name, address, contacts and logo
from its profile, as the school set them on its settings page), for invoices and receipts above and
truancy letters and report cards beside them. The logo is read from storage (the filesystem or S3,
whichever holds the files), never fetched over the network by URL."""

import phonenumbers

from classpoint import pdf

from .branding import logo_bytes, profile_of


def readable_phone(value):
    """ "+2348031234567" -> "+234 803 123 4567": the stored E.164 number as people read it."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def school_letterhead(school):
    profile = profile_of(school)
    if profile is None:
        return pdf.Letterhead(name=school.name)
    return pdf.Letterhead(
        name=school.name,
        address=profile.address,
        contact=(readable_phone(profile.phone) if profile.phone else "", profile.email, profile.website),
        logo=logo_bytes(profile),
    )
