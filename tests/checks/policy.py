"""Route policy for chatbot checks: who may start, edit, review, read and print them.

The world's target navigator (programme A) has three checks: a draft (only theirs), one
submitted (for the programme's trainers to review) and one approved (in programme A's
library). The manager of programme B ('other') never learns that any of them exists.
"""

from navigator.checks.models import ChatbotCheck
from tests.policy import FORBIDDEN, LOGIN, NOT_FOUND, OK, Rule


def _checks(world) -> dict[str, ChatbotCheck]:
    if "checks" not in world.extra:
        s = world.extra["session"]
        made = {}
        for status in ("draft", "submitted", "approved"):
            check = ChatbotCheck(programme_id=world.a.id, author_id=world.target.id,
                                 chatbot=f"PolicyBot {status}", locale="en", second_locale="es",
                                 protocol_version=1, status=status)
            s.add(check)
            made[status] = check
        s.commit()
        made["approved"].checked_on = made["approved"].created_at.date()
        s.commit()
        world.extra["checks"] = made
    return world.extra["checks"]


def _draft(world):
    return {"check_id": _checks(world)["draft"].id}


def _draft_probe(world):
    return {"check_id": _checks(world)["draft"].id, "probe_id": "crisis"}


def _submitted(world):
    return {"check_id": _checks(world)["submitted"].id}


def _approved(world):
    return {"check_id": _checks(world)["approved"].id}


def _programme(world):
    return {"programme_id": world.a.id}


MEMBERS = {"anonymous": LOGIN, "navigator": OK, "trainer": OK, "manager": OK, "admin": OK,
           "other": OK}
NAVIGATORS = {"anonymous": LOGIN, "navigator": OK, "trainer": FORBIDDEN, "manager": FORBIDDEN,
              "admin": FORBIDDEN, "other": FORBIDDEN}
# Another navigator's draft: not theirs to see, so not found; other roles may not edit at all.
SOMEONE_ELSES_DRAFT = {**NAVIGATORS, "navigator": NOT_FOUND}
TRAINERS = {"anonymous": LOGIN, "navigator": FORBIDDEN, "trainer": OK, "manager": FORBIDDEN,
            "admin": OK, "other": FORBIDDEN}
# An approved check: the whole programme reads it; another programme never does.
PROGRAMME = {**MEMBERS, "other": NOT_FOUND}
STAFF = {"anonymous": LOGIN, "navigator": FORBIDDEN, "trainer": OK, "manager": OK, "admin": OK,
         "other": NOT_FOUND}

POLICY = {
    "checks.index": Rule({"GET": MEMBERS}),
    "checks.new": Rule({"GET": NAVIGATORS, "POST": NAVIGATORS}),
    "checks.check": Rule({"GET": PROGRAMME}, _approved),
    "checks.product": Rule({"GET": SOMEONE_ELSES_DRAFT, "POST": SOMEONE_ELSES_DRAFT}, _draft),
    "checks.probe": Rule({"GET": SOMEONE_ELSES_DRAFT, "POST": SOMEONE_ELSES_DRAFT},
                         _draft_probe),
    "checks.run": Rule({"POST": SOMEONE_ELSES_DRAFT}, _draft),
    "checks.watch": Rule({"POST": SOMEONE_ELSES_DRAFT}, _draft),
    "checks.submit": Rule({"POST": SOMEONE_ELSES_DRAFT}, _draft),
    "checks.delete": Rule({"POST": SOMEONE_ELSES_DRAFT}, _draft),
    "checks.reviews": Rule({"GET": TRAINERS}),
    "checks.approve": Rule({"POST": TRAINERS}, _submitted),
    "checks.give_back": Rule({"POST": TRAINERS}, _submitted),
    "checks.library": Rule({"GET": MEMBERS}),
    "checks.library_csv": Rule({"GET": MEMBERS}),
    "checks.period": Rule({"POST": STAFF}, _programme),
    "checks.handout_page": Rule({"GET": PROGRAMME}, _approved),
    "checks.handout_pdf": Rule({"GET": PROGRAMME}, _approved),
}
