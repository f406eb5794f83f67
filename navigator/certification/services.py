"""Certificates: progress toward tracks, issuing, trainer sign-off, public verification.

Issuing is idempotent: a certificate's completion_key is unique, so however many requests
find the same completion at once, one row is stored and every caller gets that row back.
On SQLite callers hold a write transaction (BEGIN IMMEDIATE); on PostgreSQL the unique index
makes the later insert fail inside a savepoint, and the caller reads the winner's row.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, select

from navigator.accounts.models import Membership, Programme, User
from navigator.accounts.services import Principal
from navigator.certification import codes
from navigator.certification.eligibility import (
    Evaluation,
    Facts,
    ModuleFacts,
    Track,
    evaluate,
    expiry,
    final_mark,
    renewal_opens,
)
from navigator.certification.models import Certificate, CertificateEvent, SignoffRequest
from navigator.certification.pdf import CertificateDoc
from navigator.db import insert_once, utcnow
from navigator.errors import Conflict, Invalid, NotFound
from navigator.i18n import CODES, _
from navigator.learning import content
from navigator.learning.content import VersionRow
from navigator.learning.models import (
    Course,
    CourseVersion,
    Enrollment,
    ProgrammeCourse,
    QuizAttempt,
)
from navigator.learning.services import (
    CourseProgress,
    CourseRow,
    carried_in,
    learner_programme_ids,
    module_signatures,
    pick,
    progress_in,
    progress_of,
)
from navigator.learning.services import carried_over as learning_carried_over

STATUSES = ("valid", "expired", "revoked", "superseded")
REASON_LENGTH = 500
NAME_LENGTH = 120


def today() -> date:
    """Today's date in UTC: issue and expiry dates are UTC days."""
    return utcnow().date()


def status_of(cert: Certificate, on: date | None = None) -> str:
    """valid, expired, revoked or superseded; a certificate expires on its expiry date."""
    if cert.superseded_at is not None:
        return "superseded"
    if cert.revoked_at is not None:
        return "revoked"
    if cert.expires_on is not None and cert.expires_on <= (on or today()):
        return "expired"
    return "valid"


def verify_url(base_url: str, code: str) -> str:
    """The public page that says whether a certificate is valid (printed as a QR code)."""
    return f"{base_url.rstrip('/')}/verify/{codes.display(code)}"


def track_title(version: CourseVersion, track: Track, locale: str, default: str) -> str:
    """The track's name in the locale, else in the course's default language."""
    return pick(version.texts, locale, default)[1].get("track_title") or track.title


# --- the facts about one navigator and one course version -----------------------------------

def outreach_count(s: Session, user_id: int) -> int:
    """Outreach sessions the navigator has logged, in any programme."""
    # Imported here: outreach sits below certification and is optional for tracks without
    # a practical requirement.
    from navigator.outreach.services import count_sessions

    return count_sessions(s, user_id)


def checks_count(s: Session, user_id: int) -> int:
    """Chatbot checks the navigator wrote that a trainer approved, in any programme."""
    # Imported here, as outreach is: checks sit below certification.
    from navigator.checks.services import count_approved

    return count_approved(s, user_id)


def certificate_programme(s: Session, user_id: int, course_id: int) -> int | None:
    """The programme a certificate is issued in: the navigator's first offering the course."""
    ids = learner_programme_ids(s, user_id)
    offered = s.exec(select(ProgrammeCourse.programme_id).where(
        ProgrammeCourse.course_id == course_id,
        ProgrammeCourse.programme_id.in_(ids or {-1}))).all()
    return min(offered) if offered else None


def _passed_since(s: Session, user_id: int, quiz_ids: list[int], mark: int | None,
                  since: date) -> bool:
    """Whether every one of these quizzes was passed again on or after a day."""
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    query = (select(QuizAttempt.quiz_id)
             .where(QuizAttempt.user_id == user_id, QuizAttempt.quiz_id.in_(quiz_ids or [-1]),
                    QuizAttempt.submitted_at >= start))
    query = query.where(QuizAttempt.score >= mark) if mark is not None else query.where(
        QuizAttempt.passed.is_(True))
    return bool(quiz_ids) and set(s.exec(query.distinct()).all()) >= set(quiz_ids)


def _renewal_passed(s: Session, user_id: int, track: Track, progress: CourseProgress,
                    facts_mark: int | None, since: date) -> bool:
    """A renewal asks for the final assessment again; without one, the module quizzes."""
    if progress.final is not None:
        return _passed_since(s, user_id, [progress.final.id], facts_mark, since)
    quizzes = [m.quiz.id for m in progress.modules if m.quiz and track.requires(m.module.slug)]
    return _passed_since(s, user_id, quizzes, None, since)


@dataclass
class Assessment:
    """Where one navigator stands on the track of one course version."""

    user_id: int
    course: Course | CourseRow
    version: CourseVersion | VersionRow
    track: Track
    progress: CourseProgress
    programme_id: int | None
    cycle: int  # the completion this assessment is about (0, or a renewal's number)
    head: Certificate | None  # the current certificate for this version, if any
    blocked: str  # "" | "certified" (nothing to do yet) | "revoked"
    signoff: SignoffRequest | None
    evaluation: Evaluation
    carried: dict[str, int] = field(default_factory=dict)  # module slug → version it came from

    @property
    def completion_key(self) -> str:
        return f"{self.user_id}:{self.track.id}:{self.version.id}:{self.cycle}"


@dataclass
class Ledger:
    """What one navigator holds, read once for a page: their certificates (with their versions'
    numbers), then their progress in every version the page needs in one statement, and sign-offs
    and practical counts only when a track asks for them. Nothing here is shared between people
    or requests; the courses' content comes from learning's cache, keyed by version id."""

    s: Session
    user_id: int
    certificates: list[tuple[Certificate, int]]  # (certificate, its version's number)
    done: set[int] = field(default_factory=set)
    scores: dict[int, tuple[int, bool]] = field(default_factory=dict)
    loaded: set[int] = field(default_factory=set)  # versions whose progress is read
    _signoffs: list[SignoffRequest] | None = None
    _outreach: int | None = None
    _checks: int | None = None

    @classmethod
    def read(cls, s: Session, user_id: int) -> "Ledger":
        rows = s.exec(select(Certificate, CourseVersion.number)
                      .join(CourseVersion, CourseVersion.id == Certificate.version_id)
                      .where(Certificate.user_id == user_id)).all()
        return cls(s, user_id, [(cert, number) for cert, number in rows])

    def counted(self, course_id: int, number: int) -> list[int]:
        """As counted_versions: earlier versions held with a certificate, not revoked."""
        return sorted({c.version_id for c, n in self.certificates
                       if c.course_id == course_id and c.revoked_at is None and n < number})

    def load(self, version_ids) -> None:
        """Read the progress in these versions (those not read yet): one statement."""
        wanted = [content.of(self.s, v) for v in dict.fromkeys(version_ids)
                  if v not in self.loaded]
        if not wanted:
            return
        done, scores = progress_of(self.s, self.user_id,
                                   [x.id for c in wanted for x in c.lessons],
                                   [q for c in wanted for q in c.quiz_ids])
        self.done |= done
        self.scores.update(scores)
        self.loaded |= {c.version.id for c in wanted}

    def progress(self, version_id: int) -> CourseProgress:
        self.load([version_id])
        c = content.of(self.s, version_id)
        return progress_in(c, self.done, self.scores)

    def carried(self, course: Course, version_id: int) -> dict[str, int]:
        c = content.of(self.s, version_id)
        earlier = self.counted(course.id, c.version.number)
        self.load(earlier)
        return carried_in(c, [content.of(self.s, v) for v in earlier], course.default_locale,
                          self.done, self.scores)

    def signoff(self, track_id: str, version_id: int, cycle: int) -> SignoffRequest | None:
        if self._signoffs is None:
            self._signoffs = list(self.s.exec(select(SignoffRequest).where(
                SignoffRequest.user_id == self.user_id)))
        return next((r for r in self._signoffs if r.track_id == track_id
                     and r.version_id == version_id and r.cycle == cycle), None)

    def outreach(self) -> int:
        if self._outreach is None:
            self._outreach = outreach_count(self.s, self.user_id)
        return self._outreach

    def checks(self) -> int:
        if self._checks is None:
            self._checks = checks_count(self.s, self.user_id)
        return self._checks

    def certificates_of(self, track_id: str) -> list[Certificate]:
        """The track's certificates that are not superseded, newest first."""
        return sorted((c for c, _n in self.certificates
                       if c.track_id == track_id and c.superseded_at is None),
                      key=lambda c: c.issued_at, reverse=True)


def assess(s: Session, user_id: int, course: Course, version: CourseVersion,
           on: date | None = None) -> Assessment | None:
    """Evaluate the track of a course version for a navigator; None when it has no track."""
    if Track.parse(version.track) is None:
        return None
    return _assess(Ledger.read(s, user_id), course, version,
                   certificate_programme(s, user_id, course.id), on or today())


def _assess(led: Ledger, course: Course | CourseRow, version: CourseVersion | VersionRow,
            programme_id: int | None, on: date) -> Assessment | None:
    """assess, from what the ledger holds (it reads what it lacks)."""
    s, user_id = led.s, led.user_id
    track = Track.parse(version.track)
    if track is None:
        return None
    carried = led.carried(course, version.id)
    progress = replace(led.progress(version.id), version=version)
    head = max((c for c, _n in led.certificates
                if c.track_id == track.id and c.version_id == version.id
                and c.superseded_at is None), key=lambda c: c.cycle, default=None)
    cycle, renewal_from, blocked = 0, None, ""
    if head is not None:
        opens = renewal_opens(head.expires_on)
        if head.revoked_at is not None:
            cycle, blocked = head.cycle, "revoked"
        elif opens is not None and on >= opens:
            cycle, renewal_from = head.cycle + 1, opens
        else:
            cycle, blocked = head.cycle, "certified"
    signoff = led.signoff(track.id, version.id, cycle) if track.trainer_signoff else None
    modules = tuple(ModuleFacts(m.module.slug, m.lessons_done, m.lessons_total, m.quiz is not None,
                                m.quiz_passed, m.best_score, m.quiz.pass_mark if m.quiz else None,
                                carried=m.module.slug in carried and not m.complete)
                    for m in progress.modules)
    facts = Facts(modules=modules, has_final=progress.final is not None,
                  final_best=progress.final_best,
                  final_quiz_mark=progress.final.pass_mark if progress.final else None,
                  outreach_sessions=led.outreach() if track.outreach_sessions else 0,
                  chatbot_checks=led.checks() if track.chatbot_checks else 0,
                  signoff=signoff.status if signoff else None, renewal_from=renewal_from)
    if renewal_from is not None:
        renewed = _renewal_passed(s, user_id, track, progress, final_mark(track, facts),
                                  renewal_from)
        facts = replace(facts, renewed=renewed)
    return Assessment(user_id, course, version, track, progress, programme_id, cycle, head,
                      blocked, signoff, evaluate(track, facts), carried)


# --- issuing --------------------------------------------------------------------------------

def _by_key(s: Session, key: str) -> Certificate | None:
    return s.exec(select(Certificate).where(Certificate.completion_key == key)).first()


def store(s: Session, make) -> tuple[Certificate, bool]:
    """Insert make(code) with a fresh code: (it, True), or (the one stored first, False)."""
    # A clash of random codes draws again; a clash of completion keys means another request
    # stored this completion meanwhile.
    for _attempt in range(5):
        cert = make(codes.new_code())
        if insert_once(s, cert):
            return cert, True
        if cert.completion_key and (existing := _by_key(s, cert.completion_key)):
            return existing, False
    raise RuntimeError("could not draw an unused verification code")


def log_event(s: Session, cert_id: int, action: str, actor_id: int | None, reason: str = "",
         related_id: int | None = None) -> None:
    s.add(CertificateEvent(certificate_id=cert_id, action=action, actor_id=actor_id,
                           reason=reason, related_id=related_id))


def _issue(s: Session, a: Assessment, actor_id: int | None, on: date) -> tuple[Certificate, bool]:
    """The certificate for the assessed completion: stored now, or the one already there."""
    key = a.completion_key
    existing = _by_key(s, key)
    if existing is not None:
        return existing, False
    user = s.get(User, a.user_id)
    programme = s.get(Programme, a.programme_id)
    locale = next((c for c in (user.locale, programme.default_locale) if c in CODES), "en")
    cert, created = store(s, lambda code: Certificate(
        code=code, completion_key=key, user_id=user.id, programme_id=programme.id,
        course_id=a.course.id, version_id=a.version.id, track_id=a.track.id, cycle=a.cycle,
        printed_name=(user.certificate_name or user.display_name)[:NAME_LENGTH], locale=locale,
        issued_on=on, expires_on=expiry(a.track, on), issued_by=actor_id))
    if created:
        log_event(s, cert.id, "issued", actor_id)
        s.flush()
    return cert, created


@dataclass
class Outcome:
    """What checking a navigator's tracks newly produced."""

    kind: str  # issued | signoff
    assessment: Assessment
    certificate: Certificate | None = None
    request: SignoffRequest | None = None


def issue_if_eligible(s: Session, user_id: int, course: Course, version: CourseVersion,
                      on: date | None = None) -> tuple[Assessment | None, Outcome | None]:
    """Issue the track's certificate, or ask for a trainer's sign-off, when requirements are met."""
    on = on or today()
    a = assess(s, user_id, course, version, on)
    if not _due(a):
        return a, None
    if not a.evaluation.eligible:  # met, waiting for a trainer
        if a.signoff is not None:
            return a, None
        request = SignoffRequest(user_id=user_id, programme_id=a.programme_id,
                                 course_id=course.id, version_id=version.id,
                                 track_id=a.track.id, cycle=a.cycle)
        if not insert_once(s, request):
            return a, None
        a.signoff = request
        return a, Outcome("signoff", a, request=request)
    actor = a.signoff.decided_by if a.signoff is not None else None
    cert, created = _issue(s, a, actor, on)
    a.head, a.blocked = cert, "certified"
    return a, Outcome("issued", a, certificate=cert) if created else None


def _due(a: Assessment | None) -> bool:
    """Whether issue_if_eligible would write: a certificate to issue or a sign-off to ask for."""
    if a is None or a.blocked or not a.evaluation.met or a.programme_id is None:
        return False
    return a.evaluation.eligible or a.signoff is None


def anything_due(s: Session, user_id: int, on: date | None = None) -> bool:
    """Whether check_navigator would issue or ask for anything: it only reads, so a page can
    look first holding no write lock and take one only when there is something to write."""
    on = on or today()
    return any(_due(assess(s, user_id, course, version, on))
               for course, version in enrolled_courses(s, user_id))


def enrolled_courses(s: Session, user_id: int) -> list[tuple[Course, CourseVersion]]:
    """The courses a navigator follows, with the version they follow."""
    rows = s.exec(select(Course, CourseVersion).join(Enrollment, Enrollment.course_id == Course.id)
                  .join(CourseVersion, CourseVersion.id == Enrollment.version_id)
                  .where(Enrollment.user_id == user_id).order_by(Course.slug)).all()
    return [(course, version) for course, version in rows]


def check_navigator(s: Session, user_id: int, on: date | None = None) -> list[Outcome]:
    """Check every track the navigator follows; issue or queue what has become due."""
    outcomes = []
    for course, version in enrolled_courses(s, user_id):
        _a, outcome = issue_if_eligible(s, user_id, course, version, on)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def outcome_title(outcome: Outcome, locale: str) -> str:
    """The name of the track an outcome is about, in the locale."""
    a = outcome.assessment
    return track_title(a.version, a.track, locale, a.course.default_locale)


# --- the navigator's view of their tracks ---------------------------------------------------

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
    a = _assess(led, course, version, held.programme_id, on)
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
    return any(_due(v.assessment) for v in views)


@dataclass
class Reminder:
    """A certificate on the home page: expiring soon, or expired without a newer one."""

    certificate: Certificate
    title: str
    status: str
    days_left: int


def _current(s: Session, user_id: int) -> list[Certificate]:
    """The navigator's certificates neither superseded nor revoked, newest first."""
    return list(s.exec(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.superseded_at.is_(None),
        Certificate.revoked_at.is_(None)).order_by(Certificate.issued_on.desc())).all())


def reminders(s: Session, user_id: int, locale: str, on: date | None = None,
              current: list[Certificate] | None = None) -> list[Reminder]:
    """The navigator's certificates that are due for renewal, soonest first (`current`: their
    certificates in force, when the caller has read them already)."""
    on = on or today()
    newest: dict[str, Certificate] = {}
    for cert in _current(s, user_id) if current is None else current:
        if cert.expires_on is not None:
            newest.setdefault(cert.track_id, cert)
    due = []
    for cert in newest.values():
        opens = renewal_opens(cert.expires_on)
        if opens is not None and on >= opens:
            version = s.get(CourseVersion, cert.version_id)
            course = s.get(Course, cert.course_id)
            title = track_title(version, Track.parse(version.track) or Track.parse(
                {"id": cert.track_id}), locale, course.default_locale)
            due.append(Reminder(cert, title, status_of(cert, on), (cert.expires_on - on).days))
    return sorted(due, key=lambda r: r.days_left)


def home_panel_context(s: Session, user_id: int, locale: str, on: date | None = None) -> dict:
    """What certification/home_panel.html needs: renewal reminders and certificates held, from
    one read of the navigator's certificates."""
    on = on or today()
    current = _current(s, user_id)
    held = sum(1 for c in current if c.expires_on is None or c.expires_on > on)
    return {"certificate_reminders": reminders(s, user_id, locale, on, current),
            "certificates_held": held}


# --- trainers: sign-off ---------------------------------------------------------------------

def signoff_programme_ids(s: Session, actor: Principal) -> set[int]:
    """Programmes whose sign-offs the actor gives: their trainer programmes; all for admins."""
    if actor.user.is_admin:
        return set(s.exec(select(Programme.id)))
    return actor.programme_ids("trainer")


@dataclass
class SignoffRow:
    """A sign-off request with what a trainer needs to decide."""

    request: SignoffRequest
    navigator: str
    programme: str
    title: str


def list_signoffs(s: Session, actor: Principal, locale: str) -> list[SignoffRow]:
    """Open and declined sign-off requests in the actor's programmes, oldest first."""
    rows = s.exec(select(SignoffRequest, User.display_name, Programme.name, CourseVersion, Course)
                  .join(User, User.id == SignoffRequest.user_id)
                  .join(Programme, Programme.id == SignoffRequest.programme_id)
                  .join(CourseVersion, CourseVersion.id == SignoffRequest.version_id)
                  .join(Course, Course.id == SignoffRequest.course_id)
                  .where(SignoffRequest.programme_id.in_(signoff_programme_ids(s, actor) or {-1}),
                         SignoffRequest.status != "approved")
                  .order_by(SignoffRequest.requested_at, SignoffRequest.id)).all()
    return [SignoffRow(req, name, programme, track_title(
        version, Track.parse(version.track) or Track.parse({"id": req.track_id}), locale,
        course.default_locale)) for req, name, programme, version, course in rows]


def get_signoff(s: Session, actor: Principal, request_id: int) -> SignoffRequest:
    """A sign-off request in one of the actor's programmes; NotFound otherwise."""
    request = s.get(SignoffRequest, request_id)
    if request is None or request.programme_id not in signoff_programme_ids(s, actor):
        raise NotFound()
    return request


def approve_signoff(s: Session, actor: Principal, request_id: int,
                    on: date | None = None) -> Certificate:
    """A trainer signs off: the certificate is issued in the trainer's name."""
    request = get_signoff(s, actor, request_id)
    if request.status == "approved":
        raise Conflict(_("This sign-off was already given."))
    request.status, request.decided_by, request.decided_at = "approved", actor.user.id, utcnow()
    request.note = ""
    s.flush()
    course, version = s.get(Course, request.course_id), s.get(CourseVersion, request.version_id)
    a, _outcome = issue_if_eligible(s, request.user_id, course, version, on)
    if a is not None and a.head is not None and a.cycle == request.cycle:
        return a.head
    raise Conflict(_("The navigator no longer meets the other requirements of this track."))


def decline_signoff(s: Session, actor: Principal, request_id: int, note: str) -> SignoffRequest:
    """A trainer asks for more before signing off; the navigator sees the note."""
    request = get_signoff(s, actor, request_id)
    if request.status != "pending":
        raise Conflict(_("This sign-off was already decided."))
    note = note.strip()
    if not note:
        raise Invalid(_("Tell the navigator what is still needed."), field="note")
    request.status, request.decided_by, request.decided_at = "declined", actor.user.id, utcnow()
    request.note = note[:REASON_LENGTH]
    return request


# --- public verification --------------------------------------------------------------------

@dataclass
class Verification:
    """What the public verification page shows: the status and minimal personal data."""

    code: str
    status: str
    printed_name: str
    track: str
    programme: str
    issued_on: date
    expires_on: date | None
    revoked_on: date | None

    def as_json(self) -> dict:
        return {"code": self.code, "status": self.status, "name": self.printed_name,
                "track": self.track, "programme": self.programme,
                "issued_on": self.issued_on.isoformat(),
                "expires_on": self.expires_on.isoformat() if self.expires_on else None,
                "revoked_on": self.revoked_on.isoformat() if self.revoked_on else None}


def find_by_code(s: Session, raw: str) -> Certificate:
    """The certificate with a typed code; NotFound for anything else, malformed or unknown."""
    code = codes.normalise(raw)
    cert = code and s.exec(select(Certificate).where(Certificate.code == code)).first()
    if not cert:
        raise NotFound()
    return cert


def verify(s: Session, raw: str, locale: str, on: date | None = None) -> Verification:
    """The public facts of a certificate, in the visitor's language."""
    cert = find_by_code(s, raw)
    version, course = s.get(CourseVersion, cert.version_id), s.get(Course, cert.course_id)
    track = Track.parse(version.track) or Track.parse({"id": cert.track_id})
    return Verification(codes.display(cert.code), status_of(cert, on), cert.printed_name,
                        track_title(version, track, locale, course.default_locale),
                        s.get(Programme, cert.programme_id).name, cert.issued_on,
                        cert.expires_on, cert.revoked_at.date() if cert.revoked_at else None)


def document(s: Session, cert: Certificate, base_url: str,
             locale: str | None = None) -> CertificateDoc:
    """What the certificate's PDF says: in the language asked for, else the certificate's."""
    locale = locale if locale in CODES else cert.locale
    version, course = s.get(CourseVersion, cert.version_id), s.get(Course, cert.course_id)
    track = Track.parse(version.track) or Track.parse({"id": cert.track_id})
    return CertificateDoc(codes.display(cert.code), verify_url(base_url, cert.code),
                          cert.printed_name,
                          track_title(version, track, locale, course.default_locale),
                          s.get(Programme, cert.programme_id).name, version.number, locale,
                          cert.issued_on, cert.expires_on)
