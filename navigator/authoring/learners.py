"""Following learners: the navigators taking a course, their progress, and the table as CSV."""

import csv
import io
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from navigator.accounts.models import Membership, User
from navigator.accounts.services import Principal
from navigator.i18n import _
from navigator.learning import services as learning
from navigator.learning.models import Course, CourseVersion, Enrollment, ProgrammeCourse
from navigator.spreadsheets import safe_cell


@dataclass
class LearnerRow:
    user: User
    progress: learning.CourseProgress | None


def learners(s: Session, actor: Principal, course: Course) -> list[LearnerRow]:
    """Navigators of the actor's programmes who take the course, with their progress."""
    programme_ids = (set(s.exec(select(ProgrammeCourse.programme_id)
                                .where(ProgrammeCourse.course_id == course.id)))
                     if actor.user.is_admin else
                     actor.programme_ids("trainer", "manager"))
    user_ids = select(Membership.user_id).where(Membership.programme_id.in_(programme_ids
                                                                          or {-1}),
                                                Membership.role == "navigator")
    people = s.exec(select(User).where(User.id.in_(user_ids), User.is_active)
                    .order_by(func.lower(User.display_name))).all()
    enrolments = {e.user_id: e for e in s.exec(select(Enrollment).where(
        Enrollment.course_id == course.id, Enrollment.user_id.in_([u.id for u in people]
                                                                  or [-1])))}
    rows = []
    for person in people:
        enrolled = enrolments.get(person.id)
        progress = None
        if enrolled:
            progress = learning.course_progress(s, person.id,
                                                s.get(CourseVersion, enrolled.version_id))
        rows.append(LearnerRow(person, progress))
    return rows


def learners_csv(rows: list[LearnerRow], module_titles: list[str]) -> str:
    """The learner table as CSV, safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Name"), _("Course version"), _("Progress (%)")]
                    + [f"{t}: {_('quiz best score')}" for t in module_titles]
                    + [_("Final assessment best score"), _("Final assessment passed")])
    for row in rows:
        p = row.progress
        cells = [row.user.display_name, p.version.number if p else "", p.percent if p else 0]
        modules = p.modules if p else []
        cells += [m.best_score if m.best_score is not None else "" for m in modules]
        cells += [""] * (len(module_titles) - len(modules))
        cells += [p.final_best if p and p.final_best is not None else "",
                  _("yes") if p and p.final_passed else _("no")]
        writer.writerow([safe_cell(c) for c in cells])
    return out.getvalue()

