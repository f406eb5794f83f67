"""Route policy for the navigator's learning pages: navigators of programme A only."""

import tempfile
from functools import cache
from pathlib import Path

from navigator.learning import attempts, package, package_store, study_quiz
from tests.learning.packages import write_package
from tests.policy import FORBIDDEN, LOGIN, NOT_FOUND, OK, Rule, everyone

_FOLDERS: list[tempfile.TemporaryDirectory] = []  # kept until the run ends, then removed


@cache
def _package() -> package.Package:
    """The demo package, written and read once per test run."""
    _FOLDERS.append(tempfile.TemporaryDirectory(prefix="navigator-policy-"))
    return package.load_package(write_package(Path(_FOLDERS[-1].name)))


def navigators(navigator: str = OK) -> dict[str, str]:
    """Only navigators see courses; the world's navigator is in programme A, offered 'demo'."""
    return {**everyone(FORBIDDEN), "anonymous": LOGIN, "navigator": navigator}


def _course(world) -> dict:
    """The demo course, imported and offered to programme A once per world."""
    if "course" not in world.extra:
        s = world.extra["session"]
        version, _imported = package_store.import_package(s, _package())
        package_store.offer_course(s, world.a.id, version.course_id)
        s.commit()
        world.extra["course"] = version
    return {"slug": "demo"}


def _module(world) -> dict:
    return {**_course(world), "module_slug": "m1"}


def _lesson(world) -> dict:
    return {**_module(world), "lesson_slug": "l1"}


def _result(world) -> dict:
    """A submitted attempt of the world's navigator."""
    args = _course(world)
    if "attempt" not in world.extra:
        s, uid = world.extra["session"], world.actors["navigator"].id
        context = study_quiz.quiz_context(s, uid, "demo", "m1", "en")
        attempt = attempts.start_attempt(s, uid, context.quiz, "en")
        answers = {q["id"]: q["options"][:1] for q in context.quiz.key["questions"]}
        attempts.submit_attempt(s, uid, context.quiz, attempt, answers)
        s.commit()
        world.extra["attempt"] = attempt.attempt_key
    return {**args, "attempt_key": world.extra["attempt"]}


POLICY = {
    "learning.catalogue": Rule({"GET": navigators()}),
    "learning.course": Rule({"GET": navigators()}, _course),
    "learning.switch_version": Rule({"POST": navigators()}, _course),
    "learning.module": Rule({"GET": navigators()}, _module),
    "learning.lesson": Rule({"GET": navigators()}, _lesson),
    "learning.complete": Rule({"POST": navigators()}, _lesson),
    # No narration is stored in a fresh world: nothing to hear yet (a computer voice is queued).
    "learning.listen": Rule({"GET": navigators(NOT_FOUND)}, _lesson),
    # A POST without an attempt key is a 400: served, not an access error.
    "learning.quiz": Rule({"GET": navigators(), "POST": navigators()}, _module),
    "learning.final": Rule({"GET": navigators(), "POST": navigators()}, _course),
    "learning.result": Rule({"GET": navigators()}, _result),
    # The policy's app reads the real curricula/, which has no 'demo' folder: no such image.
    "learning.asset": Rule({"GET": navigators(NOT_FOUND)},
                           lambda w: {**_course(w), "name": "pic.png"}),
    # Without a language the form is refused (400), so no PDF is drawn for each actor.
    "learning.print_pdf": Rule({"GET": navigators()}, _course),
}
