"""Route policy for outreach: navigators log their own; managers and trainers report."""

from tests.outreach.helpers import log
from tests.policy import FORBIDDEN, LOGIN, NOT_FOUND, OK, Rule, managers, trainers


def navigators(other: str = FORBIDDEN) -> dict[str, str]:
    """Pages for people who log outreach: navigators only ('other' manages programme B)."""
    return {"anonymous": LOGIN, "navigator": OK, "trainer": FORBIDDEN, "manager": FORBIDDEN,
            "admin": FORBIDDEN, "other": other}


def _activity(world):
    """The target navigator's session in programme A, held at one of A's sites."""
    if "activity" not in world.extra:
        from navigator.accounts.services import principal
        from navigator.outreach.services import add_site

        s = world.extra["session"]
        site = add_site(s, principal(s, world.actors["manager"]), world.a.id, "Library")
        s.commit()
        world.extra["site"] = site
        world.extra["activity"] = log(s, world.target, world.a, site_id=site.id)
    return world.extra["activity"]


def _activity_args(world):
    return {"activity_id": _activity(world).id}


def _site_args(world):
    _activity(world)
    return {"site_id": world.extra["site"].id}


def _programme_a(world):
    return {"programme_id": world.a.id}


POLICY = {
    "outreach.mine": Rule({"GET": navigators()}),
    "outreach.new": Rule({"GET": navigators(), "POST": navigators()}),
    # Another navigator of the same programme does not see a colleague's session.
    "outreach.activity": Rule({"GET": {**trainers(), "navigator": NOT_FOUND}}, _activity_args),
    "outreach.edit": Rule({m: {**managers(), "navigator": NOT_FOUND}
                           for m in ("GET", "POST")}, _activity_args),
    "outreach.programmes": Rule({"GET": {**trainers(other=OK)}}),
    "outreach.sites": Rule({"GET": managers(), "POST": managers()}, _programme_a),
    "outreach.site": Rule({"GET": managers(), "POST": managers()}, _site_args),
    # The site has a session, so deleting it is refused and nothing changes.
    "outreach.delete_site": Rule({"POST": managers()}, _site_args),
    "outreach.report": Rule({"GET": trainers()}, _programme_a),
    "outreach.export": Rule({"GET": trainers()},
                            lambda w: {"programme_id": w.a.id, "kind": "summary"}),
    "outreach.activities": Rule({"GET": trainers()}, _programme_a),
    "outreach.training": Rule({"GET": trainers()}, _programme_a),
}
