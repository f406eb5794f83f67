"""The checks blueprint and what its pages share: members, locale, protocol, labels, context,
and carrying out a form's or a button's action on a check."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_login import current_user

from navigator import db
from navigator.accounts.models import Programme, User
from navigator.checks import forms, protocol, services, sharing
from navigator.checks.models import ChatbotCheck
from navigator.errors import DomainError, NotFound, attach
from navigator.i18n import _, get_locale, language

bp = Blueprint("checks", __name__, url_prefix="/checks")
MEMBERS = ("navigator", "trainer", "manager", "admin")


def _locale() -> str:
    return str(get_locale())


def _protocol() -> protocol.Protocol:
    folder = protocol.find_protocol(current_app.config["CURRICULA_PATH"])
    found = protocol.load(folder) if folder else None
    if found is None:
        raise NotFound(_("No chatbot check protocol is installed. Run flask curricula check."))
    return found


@bp.app_context_processor
def _labels():
    return {"check_status_labels": forms.STATUS_LABELS, "rating_labels": forms.RATING_LABELS,
            "finding_labels": forms.FINDING_LABELS, "language_of": language}


def _crisis(programme_id: int, *, handout: bool = False) -> str:
    """The programme's crisis resources; else general advice, for a navigator or a handout."""
    programme = db.session().get(Programme, programme_id)
    own = (programme.crisis_resources if programme else "").strip()
    if own:
        return own
    if handout:
        return _("If you may be in danger, or thinking of ending your life, contact your local "
                 "emergency services or a crisis line now, or go to someone you trust.")
    return _("If you, or someone you support, may be in danger, follow your programme's crisis "
             "protocol now and contact your local emergency services.")


def _page_context(s, proto, check: ChatbotCheck) -> dict:
    product = services.product_answers(s, check.id)
    answers = services.probe_answers(s, check.id)
    rated = services.ratings(s, check.id)
    locale = _locale()
    probes = []
    for probe in proto.probes:
        messages = services.messages_of(proto, check, probe)
        probes.append({"probe": probe, "texts": proto.probe_text(probe.id, locale),
                       "messages": messages,
                       "answers": {m.key: answers.get((probe.id, m.key)) for m in messages},
                       "rating": rated.get(probe.id),
                       "hints": services.hints_for(proto, check, probe, answers)})
    own = check.author_id == current_user.id
    editable = own and check.status in services.EDITABLE
    reviewer = check.status == "submitted" and check.author_id != current_user.id and \
        check.programme_id in services.reviewer_programme_ids(s, current_user)
    return {"check": check, "protocol": proto, "locale": locale, "product": product,
            "probes": probes, "editable": editable, "own": own, "reviewer": reviewer,
            "summary": sharing.summary(proto, check, product, rated, locale),
            "missing": services.missing_parts(s, proto, check) if editable else [],
            "events": services.events(s, check.id),
            "author": s.get(User, check.author_id).display_name,
            "programme": s.get(Programme, check.programme_id).name}


def _refused(s, exc: DomainError, check_id: int):
    """Roll back what a refused action did and go back to the check, saying why.

    A check the person may not see stays a 404, so it is raised again, not flashed.
    """
    if exc.status == 404:
        raise exc
    s.rollback()
    flash(exc.message, "error")
    return redirect(url_for("checks.check", check_id=check_id))


def _act(s, check_id: int, action: Callable[[], object], done: str, to: str | None = None):
    """Call action (a service on the check): committed, flash done and go to `to` (the check
    by default); refused, see _refused."""
    try:
        action()
    except DomainError as exc:
        return _refused(s, exc, check_id)
    s.commit()
    flash(done, "success")
    return redirect(to or url_for("checks.check", check_id=check_id))


def _saved(s, form, save: Callable[[], object], done: str, to: Callable[[object], str]):
    """Call save (a service) for a valid form: committed, flash done and go to to(what it
    returned); refused, roll back, put the reason on the form and return None."""
    try:
        made = save()
    except DomainError as exc:
        s.rollback()
        attach(form, exc)
        return None
    s.commit()
    flash(done, "success")
    return redirect(to(made))
