"""Route policy for trainer authoring pages."""

from navigator.accounts.services import principal
from navigator.authoring import services
from tests.policy import FORBIDDEN, LOGIN, NOT_FOUND, OK, Rule

# Trainers of the programme and administrators; everyone else is turned away by role.
AUTHORS = {"anonymous": LOGIN, "navigator": FORBIDDEN, "trainer": OK, "manager": FORBIDDEN,
           "admin": OK, "other": FORBIDDEN}


def _course(world, fresh: bool = False):
    """A draft course offered to programme A, with one module and one lesson."""
    if fresh or "authoring" not in world.extra:
        s = world.extra["session"]
        actor = principal(s, world.actors["trainer"])
        n = world.extra.setdefault("authoring_count", 0) + 1
        world.extra["authoring_count"] = n
        draft = services.create_course(s, actor, slug=f"policy-course-{n}", title="Policy",
                                       programme_id=world.a.id)
        module = services.add_module(s, draft.id, slug="m1", title="Module", locale="en")
        lesson = services.add_lesson(s, module, slug="l1", title="Lesson", locale="en")
        s.commit()
        world.extra["authoring"] = (draft, module, lesson)
    return world.extra["authoring"]


def course(w):
    return {"course_id": _course(w)[0].course_id}


def version(w):
    return {"version_id": _course(w)[0].id}


def fresh_version(w):
    return {"version_id": _course(w, fresh=True)[0].id}


def module(w):
    return {"module_id": _course(w)[1].id}


def lesson(w):
    return {"lesson_id": _course(w)[2].id}


def published_quiz(w):
    """The learning policy's demo course, published and offered to programme A: its m1 quiz."""
    from sqlmodel import select

    from navigator.learning.models import Quiz
    from tests.learning.policy import _course as demo_course

    demo_course(w)
    version = w.extra["course"]
    quiz = w.extra["session"].exec(select(Quiz).where(Quiz.version_id == version.id,
                                                      Quiz.slug == "m1/quiz")).one()
    return {"course_id": version.course_id, "quiz_id": quiz.id, "programme": w.a.id}


POLICY = {
    "authoring.index": Rule({"GET": AUTHORS}),
    "authoring.create_course": Rule({"POST": AUTHORS}),
    "authoring.import_package": Rule({"POST": AUTHORS}),
    "authoring.course": Rule({"GET": AUTHORS}, course),
    "authoring.start_draft": Rule({"POST": AUTHORS}, course),
    "authoring.publish": Rule({"POST": AUTHORS}, version),
    "authoring.discard": Rule({"POST": AUTHORS}, fresh_version),
    "authoring.course_texts": Rule({"POST": AUTHORS}, version),
    "authoring.add_module": Rule({"POST": AUTHORS}, version),
    "authoring.module": Rule({"GET": AUTHORS, "POST": AUTHORS}, module),
    "authoring.move_module": Rule({"POST": AUTHORS}, module),
    "authoring.remove_module": Rule({"POST": AUTHORS}, lambda w: {
        "module_id": _course(w, fresh=True)[1].id}),
    "authoring.add_lesson": Rule({"POST": AUTHORS}, module),
    "authoring.move_lesson": Rule({"POST": AUTHORS}, lesson),
    "authoring.lesson": Rule({"GET": AUTHORS, "POST": AUTHORS}, lesson),
    "authoring.preview": Rule({"POST": AUTHORS}),
    "authoring.review": Rule({"POST": AUTHORS}, lesson),
    "authoring.quiz": Rule({"GET": AUTHORS, "POST": AUTHORS}, version),
    "authoring.quiz_yaml": Rule({"GET": AUTHORS, "POST": AUTHORS}, version),
    "authoring.export": Rule({"GET": AUTHORS}, version),
    "authoring.translations": Rule({"GET": AUTHORS}, course),
    "authoring.learners": Rule({"GET": AUTHORS}, course),
    "authoring.items_index": Rule({"GET": AUTHORS}, lambda w: {
        k: v for k, v in published_quiz(w).items() if k != "quiz_id"}),
    "authoring.item_analysis": Rule({"GET": AUTHORS}, published_quiz),
    "authoring.narration_page": Rule({"GET": AUTHORS}, lesson),
    "authoring.narration_upload": Rule({"POST": AUTHORS}, lesson),  # no file: a 400 page
    "authoring.narration_remove": Rule({"POST": AUTHORS}, lesson),
    # The policy's draft has no recording: nothing to hear.
    "authoring.narration_audio": Rule({"GET": {**AUTHORS, "trainer": NOT_FOUND,
                                               "admin": NOT_FOUND}}, lesson),
}
