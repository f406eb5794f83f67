"""The navigator's view of their tracks: progress, certificates held and what renewing asks."""

from dataclasses import dataclass, field
from datetime import date
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, select

from navigator.accounts.models import Membership
from navigator.certification.certificates import status_of, today, track_title
from navigator.certification.eligibility import Track
from navigator.certification.issuing import is_due
from navigator.certification.ledger import Assessment, Ledger, assess_ledger
from navigator.certification.models import Certificate
from navigator.learning import content
from navigator.learning.content import VersionRow
from navigator.learning.models import Course, CourseVersion, Enrollment, ProgrammeCourse
from navigator.learning.services import CourseRow, module_signatures, pick
from navigator.learning.services import carried_over as learning_carried_over


@dataclass
class ModuleChange:
    """A module of a newer course version and what renewing means for it."""

    slug: str
    title: str
    change: str  # new | changed | same
    done: bool
    carried: bool = False  # unchanged and completed before: progress carries over


@dataclass
class TrackView:
    """One track on the navigator's page: progress, certificates, and the renewal path."""

    assessment: Assessment
    title: str
    module_titles: dict[str, str]
    certificates: list[tuple[Certificate, str]]
    newer: CourseVersion | None = None
    changes: list[ModuleChange] = field(default_factory=list)
    final_mark: int | None = None  # the newer version's final pass mark, for the renewal list

    @property
    def to_renew(self) -> list[ModuleChange]:
        """What renewing on the newer version asks for, module by module."""
        return [c for c in self.changes if not c.carried]

    @property
    def carried(self) -> list[ModuleChange]:
        return [c for c in self.changes if c.carried]

    @property
    def renewing_from(self) -> tuple[Certificate, str] | None:
        """The valid certificate of an earlier version this version's track would renew."""
        current, version = self.current, self.assessment.version
        if current and current[1] == "valid" and current[0].version_id != version.id:
            return current
        return None

    @property
    def current(self) -> tuple[Certificate, str] | None:
        """The newest certificate that is not revoked."""
        return next(((c, st) for c, st in self.certificates if st != "revoked"), None)


def _module_signatures(s: Session, version_id: int, default: str) -> dict[str, str]:
    """A digest per module, to see what a version changed (the learning rule, shared)."""
    return module_signatures(content.of(s, version_id), default)


def counted_versions(s: Session, user_id: int, course_id: int, number: int) -> list[int]:
    """The earlier versions (before `number`) whose completed modules carry over: those the
    navigator holds a certificate for, revoked ones aside. The course and module pages ask
    this too (through app.extensions), so they show what certification counts."""
    # By id (IN, not DISTINCT over whole rows: PostgreSQL cannot compare JSON).
    return list(s.exec(select(CourseVersion.id).where(
        CourseVersion.id.in_(select(Certificate.version_id).where(
            Certificate.user_id == user_id, Certificate.course_id == course_id,
            Certificate.revoked_at.is_(None))),
        CourseVersion.course_id == course_id, CourseVersion.number < number)).all())


def carried_over(s: Session, user_id: int, course: Course,
                 version: CourseVersion) -> dict[str, int]:
    """Modules of a version the navigator need not take again, with the version they came from.

    A module carries over when the navigator completed it in an earlier version they hold a
    certificate for (revoked ones aside) and its content — every lesson's text and the quiz's
    key and pass mark — is the same in this version: the same module hash.
    """
    earlier = counted_versions(s, user_id, course.id, version.number)
    return learning_carried_over(s, user_id, course.default_locale, version.id, earlier)


def renewal_changes(s: Session, user_id: int, course: Course, old: CourseVersion | VersionRow,
                    new: CourseVersion | VersionRow, locale: str,
                    led: Ledger | None = None) -> list[ModuleChange]:
    """The required modules of a newer version: new, changed or the same, and done or not.

    An unchanged module the navigator completed counts as done: their progress carries over.
    """
    led = led or Ledger.read(s, user_id)
    track = Track.parse(new.track)
    before = _module_signatures(s, old.id, course.default_locale)
    after = _module_signatures(s, new.id, course.default_locale)
    carried = led.carried(course, new.id)
    changes = []
    for m in led.progress(new.id).modules:
        if track is not None and not track.requires(m.module.slug):
            continue
        slug = m.module.slug
        change = "new" if slug not in before else ("same" if before[slug] == after[slug]
                                                  else "changed")
        title = pick(m.module.texts, locale, course.default_locale)[1].get("title") or slug
        changes.append(ModuleChange(slug, title, change, m.complete or slug in carried,
                                    slug in carried))
    return changes


@dataclass(frozen=True)
class Held:
    """A course offered to the navigator or followed by them."""

    course: CourseRow
    version_id: int | None  # the version they follow; None before their first visit
    latest_id: int | None  # the newest published version
    programme_id: int | None  # where a certificate is issued: the first programme offering it


@cache
def _held():
    """The statement behind held_courses, built once: building it costs more than running it."""
    course, e = Course.__table__.c, Enrollment.__table__.c
    pc, v, m = ProgrammeCourse.__table__.c, CourseVersion.__table__.c, Membership.__table__.c
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    mine = sa.select(m.programme_id).where(m.user_id == user_id, m.role == "navigator")
    programme = (sa.select(sa.func.min(pc.programme_id))
                 .where(pc.course_id == course.id, pc.programme_id.in_(mine)).scalar_subquery())
    latest = (sa.select(v.id).where(v.course_id == course.id, v.status == "published")
              .order_by(v.number.desc()).limit(1).scalar_subquery())
    return (sa.select(course.id, course.slug, course.default_locale, e.version_id, latest,
                      programme)
            .select_from(Course.__table__)
            .outerjoin(Enrollment.__table__, sa.and_(e.course_id == course.id,
                                                     e.user_id == user_id))
            .where(sa.or_(programme.is_not(None), e.id.is_not(None)))
            .order_by(course.slug))


def held_courses(s: Session, user_id: int) -> list[Held]:
    """Every course offered to one of the navigator's programmes or followed by them, by slug,
    with the version they follow, the newest published one and the programme: one statement."""
    rows = s.connection().execute(_held(), {"user_id": user_id})
    return [Held(CourseRow(cid, slug, default), version_id, latest_id, programme_id)
            for cid, slug, default, version_id, latest_id, programme_id in rows]


def track_views(s: Session, user_id: int, locale: str, on: date | None = None
                ) -> list[TrackView]:
    """Every track offered to the navigator: progress toward it and the certificates held.

    A handful of statements however many courses: the courses (held_courses), the navigator's
    certificates, their progress in every version shown (the followed one, a newer one, and
    earlier ones whose modules carry over), and sign-offs or practical counts when a track
    asks for them. The versions' content is learning's shared cache."""
    on = on or today()
    led = Ledger.read(s, user_id)
    shown = []
    for held in held_courses(s, user_id):
        version_id = held.version_id or held.latest_id
        if version_id is None:
            continue
        version = content.of(s, version_id).version
        if Track.parse(version.track) is None:
            continue
        latest = content.of(s, held.latest_id).version if held.latest_id else None
        newer = latest if latest is not None and latest.number > version.number else None
        shown.append((held, version, newer))
    needed = []
    for held, version, newer in shown:
        for v in (version, newer):
            if v is not None:
                needed += [v.id, *led.counted(held.course.id, v.number)]
    led.load(needed)
    return [_track_view(led, held, version, newer, locale, on) for held, version, newer in shown]


def _track_view(led: Ledger, held: Held, version: VersionRow, newer: VersionRow | None,
                locale: str, on: date) -> TrackView:
    s, course = led.s, held.course
    a = assess_ledger(led, course, version, held.programme_id, on)
    titles = {m.module.slug: pick(m.module.texts, locale, course.default_locale)[1]
              .get("title") or m.module.slug for m in a.progress.modules}
    view = TrackView(a, track_title(version, a.track, locale, course.default_locale), titles,
                     [(c, status_of(c, on)) for c in led.certificates_of(a.track.id)])
    if newer is not None:
        view.newer = newer
        view.changes = renewal_changes(s, led.user_id, course, version, newer, locale, led)
        newer_track = Track.parse(newer.track)
        if newer.final_quiz_slug and newer_track is not None:
            final = content.of(s, newer.id).quizzes.get(None)
            view.final_mark = newer_track.final_pass_mark if \
                newer_track.final_pass_mark is not None else (final.pass_mark if final
                                                              else None)
    return view


def due(views: list[TrackView]) -> bool:
    """Whether the page's assessments show something to issue or a sign-off to ask for."""
    return any(is_due(v.assessment) for v in views)
