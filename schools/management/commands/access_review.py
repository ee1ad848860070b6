from django.core.management.base import BaseCommand
from django.utils import timezone

from classpoint.csvfile import write_csv
from classpoint.scoping import for_school, unscoped
from schools.access_review import DEFAULT_STALE_DAYS, review_platform_admins, review_school
from schools.commands import active_schools

CSV_HEADER = [
    "school",
    "kind",
    "name",
    "email",
    "role",
    "status",
    "created",
    "last_active",
    "two_factor_enrolled",
    "two_factor_required",
    "flags",
]


def _day(moment, empty=""):
    return moment.strftime("%Y-%m-%d") if moment else empty


def _two_factor(row):
    if not row.two_factor:
        return ""
    return ("yes" if row.two_factor == "enrolled" else "no") + (" (required)" if row.two_factor_required else "")


def _flags(row):
    return "; ".join(row.flags) or "-"


class Command(BaseCommand):
    help = (
        "The monthly access review: per active school, every member (role, active or suspended, last sign-in, "
        "2FA enrolled and whether the role requires it), its live API tokens (last use), invitations still "
        "open after 7 days; then the platform admins (staff and superusers). The FLAGS column says what needs "
        "a decision: no sign-in or no token use for --stale-days, never used, 2FA required but not enrolled, "
        "suspended members, stale invitations. --format csv writes one formula-safe file (redirect it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", help="one school's slug (default: every active school)")
        parser.add_argument("--format", choices=["table", "csv"], default="table")
        parser.add_argument(
            "--stale-days",
            type=int,
            default=DEFAULT_STALE_DAYS,
            help=f"flag sign-ins and token use older than this many days (default {DEFAULT_STALE_DAYS})",
        )

    @unscoped(reason="an operator's review, one school or all of them, and the platform's own admins")
    def handle(self, *args, school=None, format="table", stale_days=DEFAULT_STALE_DAYS, **options):
        now = timezone.now()
        reviews = []
        for found in active_schools(school):
            with for_school(found):
                reviews.append(review_school(school=found, now=now, stale_days=stale_days))
        admins = review_platform_admins(now=now, stale_days=stale_days)
        if format == "csv":
            self._csv(reviews, admins)
        else:
            self._tables(reviews, admins, now=now, stale_days=stale_days)

    def _csv(self, reviews, admins):
        rows = [row for review in reviews for row in review.rows] + admins
        write_csv(
            self.stdout,
            CSV_HEADER,
            (
                [
                    row.school,
                    row.kind,
                    row.name,
                    row.email,
                    row.role,
                    row.status,
                    row.created.isoformat(timespec="seconds") if row.created else "",
                    row.last_active.isoformat(timespec="seconds") if row.last_active else "",
                    {"enrolled": "yes", "not enrolled": "no"}.get(row.two_factor, ""),
                    ("yes" if row.two_factor_required else "no") if row.two_factor else "",
                    "; ".join(row.flags),
                ]
                for row in rows
            ),
        )

    def _tables(self, reviews, admins, *, now, stale_days):
        self.stdout.write(f"Access review {now:%Y-%m-%d %H:%M} UTC; idle after {stale_days} days")
        for review in reviews:
            school = review.school
            self.stdout.write(f"\n=== {school.name} ({school.slug}) ===")
            self._section(
                f"Members ({len(review.members)})",
                ["NAME", "EMAIL", "ROLE", "STATUS", "LAST SIGN-IN", "2FA", "FLAGS"],
                [
                    [r.name, r.email, r.role, r.status, _day(r.last_active, "never"), _two_factor(r), _flags(r)]
                    for r in review.members
                ],
            )
            self._section(
                f"API tokens ({len(review.tokens)})",
                ["NAME", "ROLE", "CREATED", "LAST USED", "CREATED BY", "FLAGS"],
                [
                    [r.name, r.role, _day(r.created), _day(r.last_active, "never"), r.email or "-", _flags(r)]
                    for r in review.tokens
                ],
            )
            self._section(
                f"Invitations open over 7 days ({len(review.invites)})",
                ["EMAIL", "NAME", "ROLE", "SENT", "STATUS", "FLAGS"],
                [[r.email, r.name, r.role, _day(r.created), r.status, _flags(r)] for r in review.invites],
            )
        self.stdout.write("\n=== Platform admins (every school, through the admin) ===")
        self._section(
            f"Staff and superusers ({len(admins)})",
            ["NAME", "EMAIL", "KIND", "LAST SIGN-IN", "2FA", "FLAGS"],
            [[r.name, r.email, r.role, _day(r.last_active, "never"), _two_factor(r), _flags(r)] for r in admins],
        )
        rows = [row for review in reviews for row in review.rows] + admins
        flagged = sum(1 for row in rows if row.flags)
        self.stdout.write(f"\n{flagged} of {len(rows)} entries flagged for a decision.")

    def _section(self, title, header, rows):
        self.stdout.write(f"\n{title}")
        if not rows:
            self.stdout.write("  none")
            return
        # The last column (flags) runs on unpadded; the others line up.
        widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
        for cells in [header, *rows]:
            padded = [f"{cell!s:<{width}}" for cell, width in zip(cells[:-1], widths[:-1], strict=True)]
            self.stdout.write("  " + "  ".join([*padded, str(cells[-1])]))
