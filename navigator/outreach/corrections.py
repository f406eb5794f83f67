"""Changing a logged activity: the edit window, corrections, and their trail."""

from datetime import datetime, timedelta

from sqlmodel import Session, select

from navigator.accounts.models import User
from navigator.accounts.services import Principal
from navigator.db import utcnow
from navigator.errors import Forbidden
from navigator.i18n import ngettext
from navigator.outreach.activity_input import ActivityInput, validate
from navigator.outreach.activity_log import _store_facts, facts
from navigator.outreach.models import OutreachActivity, OutreachChange


def edit_deadline(activity: OutreachActivity, edit_days: int) -> datetime:
    """Until when the navigator may change their own activity."""
    return activity.created_at + timedelta(days=edit_days)


def edit_role(actor: Principal, activity: OutreachActivity, *, edit_days: int,
              now: datetime | None = None) -> str | None:
    """'manager' when the actor may correct it, 'owner' within the edit window, else None."""
    if actor.user.is_admin or activity.programme_id in actor.programme_ids("manager"):
        return "manager"
    if activity.navigator_id == actor.user.id and (now or utcnow()) <= edit_deadline(
            activity, edit_days):
        return "owner"
    return None


def check_editable(actor: Principal, activity: OutreachActivity, *, edit_days: int) -> str:
    """The actor's editing role; Forbidden with the reason when they may not edit."""
    role = edit_role(actor, activity, edit_days=edit_days)
    if role is None:
        if activity.navigator_id == actor.user.id:
            raise Forbidden(ngettext(
                "Activities can be changed for %(num)d day after they are logged. Ask your "
                "programme manager to correct this one.",
                "Activities can be changed for %(num)d days after they are logged. Ask your "
                "programme manager to correct this one.", edit_days))
        raise Forbidden()
    return role


def _snapshot(data: ActivityInput) -> dict:
    return {"held_on": data.held_on.isoformat(), "minutes": data.minutes,
            "setting": data.setting, "site_id": data.site_id,
            "languages": sorted(set(data.languages)), "people": data.people,
            "age": {k: v for k, v in sorted(data.age.items())},
            "gender": {k: v for k, v in sorted(data.gender.items())},
            "topics": sorted(set(data.topics)), "tasks": sorted(set(data.tasks)),
            "referrals": {k: v for k, v in sorted(data.referrals.items()) if v},
            "note": data.note.strip()}


def update_activity(s: Session, actor: Principal, activity: OutreachActivity,
                    data: ActivityInput, *, edit_days: int, reason: str = "",
                    confirm_note: bool = False) -> OutreachChange | None:
    """Change an activity, recording who changed what; None when nothing changed."""
    check_editable(actor, activity, edit_days=edit_days)
    before = facts(s, activity)
    validate(s, activity.programme_id, data, keep_site=before.site_id,
             keep_topics=before.topics, confirm_note=confirm_note)
    old, new = _snapshot(before), _snapshot(data)
    changed = [k for k in old if old[k] != new[k]]
    if not changed:
        return None
    # A correction that removes personal data from a note must not keep it in the trail:
    # only the note's length is recorded.
    for snapshot in (old, new):
        snapshot["note"] = {"characters": len(snapshot["note"])}
    _store_facts(s, activity, data)
    activity.updated_at = utcnow()
    change = OutreachChange(activity_id=activity.id, changed_by=actor.user.id,
                            before={k: old[k] for k in changed},
                            after={k: new[k] for k in changed}, reason=reason.strip()[:200])
    s.add(change)
    s.flush()
    return change


def changes(s: Session, activity_id: int) -> list[tuple[OutreachChange, str]]:
    """An activity's trail of edits, oldest first, with the name of who made each."""
    rows = s.exec(select(OutreachChange, User.display_name)
                  .join(User, User.id == OutreachChange.changed_by)
                  .where(OutreachChange.activity_id == activity_id)
                  .order_by(OutreachChange.changed_at, OutreachChange.id)).all()
    return [(change, name) for change, name in rows]
