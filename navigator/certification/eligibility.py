"""Tracks and the rules that say whether a navigator has met them: plain data in, plain data out.

A track comes from its course package (course.yaml `track:`): the modules that must be
complete (every lesson read and the module quiz passed at its own pass mark), the final
assessment at the track's pass mark, a number of logged outreach sessions, a number of
chatbot checks approved by a trainer, optionally a trainer's sign-off, and how many months a
certificate stays valid.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

RENEWAL_DAYS = 60  # renewal opens, and the home page reminds, this long before expiry


@dataclass(frozen=True)
class Track:
    """A certification track as its course version defines it."""

    id: str
    title: str
    modules: tuple[str, ...] | None  # None: every module of the version
    final_pass_mark: int | None  # None: the final assessment's own pass mark
    outreach_sessions: int = 0
    trainer_signoff: bool = False
    valid_months: int = 0  # 0: never expires
    chatbot_checks: int = 0  # approved chatbot checks (navigator.checks), a practical item

    @classmethod
    def parse(cls, data: dict | None) -> "Track | None":
        """The track of a course version's `track` mapping; None when it has none."""
        if not data or not data.get("id"):
            return None
        modules = data.get("modules", "all")
        mark = data.get("final_pass_mark")
        return cls(id=str(data["id"]), title=str(data.get("title") or data["id"]),
                   modules=None if modules in (None, "all") else tuple(modules),
                   final_pass_mark=int(mark) if mark not in (None, "") else None,
                   outreach_sessions=int(data.get("outreach_sessions") or 0),
                   trainer_signoff=bool(data.get("trainer_signoff")),
                   valid_months=int(data.get("valid_months") or 0),
                   chatbot_checks=int(data.get("chatbot_checks") or 0))

    def requires(self, module_slug: str) -> bool:
        return self.modules is None or module_slug in self.modules


@dataclass(frozen=True)
class ModuleFacts:
    """What the rules need to know about one module."""

    slug: str
    lessons_done: int
    lessons_total: int
    has_quiz: bool
    quiz_passed: bool
    best_score: int | None
    pass_mark: int | None
    carried: bool = False  # complete in an earlier version, and unchanged since


@dataclass(frozen=True)
class Facts:
    """Everything the rules read about one navigator and one course version."""

    modules: tuple[ModuleFacts, ...]
    has_final: bool
    final_best: int | None
    final_quiz_mark: int | None
    outreach_sessions: int
    signoff: str | None = None  # None (not asked yet) | pending | approved | declined
    renewal_from: date | None = None  # set when this completion renews an earlier certificate
    renewed: bool = False  # an assessment passed again on or after renewal_from
    chatbot_checks: int = 0  # approved chatbot checks the navigator wrote


@dataclass
class Requirement:
    """One thing a track asks for, whether it is done, and how far along it is."""

    kind: str  # module | final | outreach | checks | renewal | signoff
    done: bool
    key: str = ""  # the module's slug
    have: int | None = None
    need: int | None = None
    detail: dict = field(default_factory=dict)


@dataclass
class Evaluation:
    """The requirements in order; whether all but the sign-off are met; whether to issue."""

    requirements: list[Requirement]
    met: bool
    eligible: bool
    needs_signoff: bool

    @property
    def remaining(self) -> list[Requirement]:
        return [r for r in self.requirements if not r.done]


def final_mark(track: Track, facts: Facts) -> int | None:
    """The final assessment's pass mark for the track: the track's own, else the quiz's."""
    return track.final_pass_mark if track.final_pass_mark is not None else facts.final_quiz_mark


def evaluate(track: Track, facts: Facts) -> Evaluation:
    """Check every requirement of the track against the facts."""
    reqs: list[Requirement] = []
    for m in facts.modules:
        if not track.requires(m.slug):
            continue
        done = m.carried or (m.lessons_done >= m.lessons_total
                             and (not m.has_quiz or m.quiz_passed))
        reqs.append(Requirement("module", done, m.slug, m.lessons_done, m.lessons_total,
                                {"has_quiz": m.has_quiz, "quiz_passed": m.quiz_passed,
                                 "best_score": m.best_score, "pass_mark": m.pass_mark,
                                 "carried": m.carried}))
    if facts.has_final:
        mark = final_mark(track, facts) or 0
        best = facts.final_best
        reqs.append(Requirement("final", best is not None and best >= mark, have=best, need=mark))
    if track.outreach_sessions:
        reqs.append(Requirement("outreach", facts.outreach_sessions >= track.outreach_sessions,
                                have=facts.outreach_sessions, need=track.outreach_sessions))
    if track.chatbot_checks:
        reqs.append(Requirement("checks", facts.chatbot_checks >= track.chatbot_checks,
                                have=facts.chatbot_checks, need=track.chatbot_checks))
    if facts.renewal_from is not None:
        reqs.append(Requirement("renewal", facts.renewed, detail={"since": facts.renewal_from}))
    met = all(r.done for r in reqs)
    if track.trainer_signoff:
        reqs.append(Requirement("signoff", facts.signoff == "approved",
                                detail={"status": facts.signoff}))
    return Evaluation(reqs, met, met and (not track.trainer_signoff
                                          or facts.signoff == "approved"),
                      track.trainer_signoff)


def add_months(start: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return start.replace(year=year, month=month,
                         day=min(start.day, calendar.monthrange(year, month)[1]))


def expiry(track: Track, issued_on: date) -> date | None:
    """When a certificate issued on that day stops being valid (None: never)."""
    return add_months(issued_on, track.valid_months) if track.valid_months else None


def renewal_opens(expires_on: date | None) -> date | None:
    """The first day a certificate expiring then may be renewed (and is reminded about)."""
    return expires_on - timedelta(days=RENEWAL_DAYS) if expires_on else None
