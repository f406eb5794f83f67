"""The outreach blueprint and what its pages share: roles, locale, numbers, labels, sites."""

from flask import Blueprint
from flask_login import current_user
from sqlmodel import Session

from navigator import db
from navigator.db import utcnow
from navigator.i18n import get_locale
from navigator.outreach import services
from navigator.outreach.numbers import format_count
from navigator.outreach.vocabulary import (
    AGE_BANDS,
    DIGITAL_TASKS,
    GENDERS,
    HINT_LABELS,
    REFERRAL_KINDS,
    SETTINGS,
    label,
    language_label,
)

bp = Blueprint("outreach", __name__, url_prefix="/outreach")
REPORT_ROLES = ("manager", "trainer")
# Certification registers a function (session, programme id) → ids of certified navigators
# here; outreach sits below certification and never imports it.
CERTIFIED_HOOK = "navigator.outreach.certified_ids"


def _locale() -> str:
    return str(get_locale())


@bp.app_template_global("outreach_this_month")
def outreach_this_month() -> int:
    """The signed-in navigator's activities held this month, for the home panel."""
    return services.count_since(db.session(), current_user.user.id,
                                utcnow().date().replace(day=1))


@bp.app_template_filter("outreach_number")
def outreach_number(value: int) -> str:
    """A count written the reader's way (fast: reports print thousands)."""
    return format_count(value, _locale())


@bp.app_context_processor
def _vocabulary():
    return {"outreach_labels": {"setting": SETTINGS, "task": DIGITAL_TASKS,
                                "referral": REFERRAL_KINDS, "age": AGE_BANDS,
                                "gender": GENDERS},
            "outreach_label": label, "language_label": language_label,
            "hint_labels": HINT_LABELS}


def _site_names(s: Session, programme_ids: set[int]) -> dict[int, str]:
    return {site.id: site.name for pid in programme_ids
            for site in services.list_sites(s, pid)}
