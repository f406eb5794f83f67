"""Route policy for the sandbox pages."""

from navigator.sandbox.models import SavedRun
from tests.policy import LOGIN, NOT_FOUND, Rule, everyone, signed_in, trainers

# Everyone in the world holds a role, so every signed-in person may use the sandbox.
USERS = signed_in()


def _saved_run(world):
    """A run saved by the target navigator: nobody else may see or delete it."""
    if "saved_run" not in world.extra:
        s = world.extra["session"]
        row = SavedRun(user_id=world.target.id, kind="generate", title="Mine", prompt="secret",
                       result={"kind": "generate", "tokens": [], "provenance": []})
        s.add(row)
        s.commit()
        world.extra["saved_run"] = row
    return {"run_id": world.extra["saved_run"].id}


def _a(**more):
    return lambda w: {"programme_id": w.a.id, **more}


NOBODY_ELSE = {**everyone(NOT_FOUND), "anonymous": LOGIN}
EDITORS = trainers()  # navigators: 403; the manager of another programme: 404

POLICY = {
    "sandbox.index": Rule({"GET": USERS}),
    # The policy posts no programme: every signed-in person gets 400, nobody a change.
    "sandbox.choose_programme": Rule({"POST": {**everyone(400), "anonymous": LOGIN}}),
    "sandbox.tokens": Rule({"GET": USERS, "POST": USERS}),
    "sandbox.step": Rule({"GET": USERS, "POST": USERS}),
    "sandbox.generate": Rule({"GET": USERS, "POST": USERS}),
    "sandbox.scenario": Rule({"GET": USERS, "POST": USERS}, lambda w: {"name": "temperature"}),
    "sandbox.corpus": Rule({"GET": USERS}, lambda w: {"corpus": "skewed", "locale": "en"}),
    "sandbox.my_corpus": Rule({"GET": USERS, "POST": USERS},
                              lambda w: {"corpus": "skewed", "locale": "en"}),
    "sandbox.runs": Rule({"GET": USERS}),
    "sandbox.saved_run": Rule({"GET": NOBODY_ELSE}, _saved_run),
    "sandbox.delete_run": Rule({"POST": NOBODY_ELSE}, _saved_run),
    "sandbox.manage": Rule({"GET": EDITORS}, _a()),
    "sandbox.edit_corpus": Rule({"GET": EDITORS, "POST": EDITORS},
                                _a(corpus="skewed", locale="en")),
    "sandbox.reset_corpus": Rule({"POST": EDITORS}, _a(corpus="skewed", locale="en")),
    "sandbox.new_scenario": Rule({"GET": EDITORS, "POST": EDITORS}, _a()),
    "sandbox.edit_scenario": Rule({"GET": EDITORS, "POST": EDITORS}, _a(name="temperature")),
    "sandbox.reset_scenario": Rule({"POST": EDITORS}, _a(name="temperature")),
    # Inside a transformer, and the third training stage: a person's own choices only.
    "sandbox.attention": Rule({"GET": USERS, "POST": USERS}),
    "sandbox.preferences": Rule({"GET": USERS}),
    "sandbox.choose_answer": Rule({"POST": USERS}),
    "sandbox.reset_preferences": Rule({"POST": USERS}),
    "sandbox.stages": Rule({"GET": USERS, "POST": USERS}),
}
