"""Programme reports on training and outreach together: the curriculum modules navigators
completed against the topics they covered, and outreach by certified and other navigators."""

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, select

from navigator.accounts.models import Membership
from navigator.i18n import _
from navigator.learning.services import completed_module_keys, module_topics
from navigator.outreach.report_queries import F, Filters, _by_navigator


@dataclass
class TopicLink:
    """One curriculum module: who completed it, who covered it in outreach, and the overlap."""

    key: str
    title: str
    completed: int
    covered: int
    covered_completed: int

    @property
    def covered_not_completed(self) -> int:
        return self.covered - self.covered_completed


def _navigator_ids(s: Session, programme_id: int) -> set[int]:
    return set(s.exec(select(Membership.user_id).where(
        Membership.programme_id == programme_id, Membership.role == "navigator")))


def training_links(s: Session, programme_id: int, filters: Filters, *, locale: str
                   ) -> list[TopicLink]:
    """Per module: navigators who completed it against navigators who covered it in outreach."""
    covered: dict[str, set[int]] = defaultdict(set)
    for topic, uid in s.exec(select(F.key, F.navigator_id).distinct().where(
            F.kind == "topic", *filters.where(programme_id, F))):
        covered[topic].add(uid)
    navigators = _navigator_ids(s, programme_id).union(*covered.values())
    if filters.navigator_id:
        navigators &= {filters.navigator_id}
    completed: dict[str, set[int]] = defaultdict(set)
    for uid in navigators:
        for key in completed_module_keys(s, uid):
            completed[key].add(uid)
    titles = dict(module_topics(s, programme_id, locale))
    return [TopicLink(key, titles.get(key, key), len(completed[key]), len(covered[key]),
                      len(covered[key] & completed[key]))
            for key in [*titles, *sorted(set(covered) - set(titles))]]


@dataclass
class GroupActivity:
    """Outreach by one group of navigators (certified, not yet certified)."""

    label: str
    navigators: int
    active: int
    activities: int
    people: int

    @property
    def per_navigator(self) -> float:
        return round(self.activities / self.navigators, 1) if self.navigators else 0.0


def certification_split(s: Session, programme_id: int, filters: Filters,
                        certified_ids: set[int]) -> list[GroupActivity]:
    """Outreach by the programme's certified and not-yet-certified navigators.

    Certification passes the ids of the certified: outreach never asks it (it sits below).
    """
    members = _navigator_ids(s, programme_id)
    groups = {True: [0, 0, 0, 0], False: [0, 0, 0, 0]}  # navigators, active, acts, people
    for uid in members:
        groups[uid in certified_ids][0] += 1
    for uid, (n, people) in _by_navigator(s, filters.where(programme_id)).items():
        group = groups[uid in certified_ids]
        group[0] += uid not in members  # logged here, and has left the programme since
        group[1] += 1
        group[2] += n
        group[3] += people
    return [GroupActivity(_("Certified"), *groups[True]),
            GroupActivity(_("Not yet certified"), *groups[False])]
