"""What every school document shares: the school's letterhead (name, address, contacts and logo
from its profile), for invoices and receipts above and truancy letters beside them."""

from classpoint import pdf


def school_letterhead(school):
    profile = getattr(school, "profile", None)  # a missing profile raises an AttributeError subclass
    if profile is None:
        return pdf.Letterhead(name=school.name)
    return pdf.Letterhead(
        name=school.name,
        address=profile.address,
        contact=(profile.phone, profile.email, profile.website),
        logo=_logo(profile),
    )


def _logo(profile):
    if not profile.logo:
        return None
    try:
        with profile.logo.open("rb") as handle:
            return handle.read(2 * 1024 * 1024)
    except (OSError, ValueError):  # a logo lost from storage must not stop a document
        return None
