"""Certificates, by their old address: each name here lives in the module named for what it
holds (certificates, ledger, issuing, tracks, reminders, signoff, verification). Code outside
certification imports them from here; certification's own modules import them where they live."""

from navigator.certification.certificates import (
    NAME_LENGTH,
    REASON_LENGTH,
    STATUSES,
    status_of,
    today,
    track_title,
    verify_url,
)
from navigator.certification.issuing import (
    Outcome,
    anything_due,
    check_navigator,
    enrolled_courses,
    issue_if_eligible,
    log_event,
    outcome_title,
    store,
)
from navigator.certification.ledger import (
    Assessment,
    Ledger,
    assess,
    certificate_programme,
    checks_count,
    outreach_count,
)
from navigator.certification.reminders import (
    Reminder,
    home_panel_context,
    reminders,
)
from navigator.certification.signoff import (
    SignoffRow,
    approve_signoff,
    decline_signoff,
    get_signoff,
    list_signoffs,
    signoff_programme_ids,
)
from navigator.certification.tracks import (
    Held,
    ModuleChange,
    TrackView,
    carried_over,
    counted_versions,
    due,
    held_courses,
    renewal_changes,
    track_views,
)
from navigator.certification.verification import (
    Verification,
    document,
    find_by_code,
    verify,
)

__all__ = [
    "Assessment", "Held", "Ledger", "ModuleChange", "NAME_LENGTH", "Outcome", "REASON_LENGTH",
    "Reminder", "STATUSES", "SignoffRow", "TrackView", "Verification", "anything_due",
    "approve_signoff", "assess", "carried_over", "certificate_programme", "check_navigator",
    "checks_count", "counted_versions", "decline_signoff", "document", "due", "enrolled_courses",
    "find_by_code", "get_signoff", "held_courses", "home_panel_context", "issue_if_eligible",
    "list_signoffs", "log_event", "outcome_title", "outreach_count", "reminders",
    "renewal_changes", "signoff_programme_ids", "status_of", "store", "today", "track_title",
    "track_views", "verify", "verify_url",
]
