"""Where a navigator stands on a track: the facts read once (the ledger), then assessed."""

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, select

from navigator.certification.certificates import today
from navigator.certification.eligibility import (
    Evaluation,
    Facts,
    ModuleFacts,
    Track,
    evaluate,
    final_mark,
    renewal_opens,
)
from navigator.certification.models import Certificate, SignoffRequest
from navigator.checks.services import count_approved
from navigator.learning import content
from navigator.learning.content import VersionRow
from navigator.learning.models import Course, CourseVersion, ProgrammeCourse, QuizAttempt
from navigator.learning.services import (
    CourseProgress,
    CourseRow,
    carried_in,
    learner_programme_ids,
    progress_in,
    progress_of,
)
from navigator.outreach.services import count_sessions


def outreach_count(s: Session, user_id: int) -> int:
    """Outreach sessions the navigator has logged, in any programme."""
    return count_sessions(s, user_id)


def checks_count(s: Session, user_id: int) -> int:
    """Chatbot checks the navigator wrote that a trainer approved, in any programme."""
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


@cache
def _held_certificates():
    """Every certificate a navigator holds, with its version's number: built once (building a
    statement costs more than running it, and the certificates page runs this on every view)."""
    return (select(Certificate, CourseVersion.number)
            .join(CourseVersion, CourseVersion.id == Certificate.version_id)
            .where(Certificate.user_id == sa.bindparam("user_id")))


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
        rows = s.exec(_held_certificates(), params={"user_id": user_id}).all()
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
    return assess_ledger(Ledger.read(s, user_id), course, version,
                   certificate_programme(s, user_id, course.id), on or today())


def assess_ledger(led: Ledger, course: Course | CourseRow, version: CourseVersion | VersionRow,
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
