"""The navigator's place in a course, opened for a page: enrolled on their first visit, with
the content of the version they follow."""

from sqlmodel import Session

from navigator.learning import content
from navigator.learning.content import Content
from navigator.learning.courses import pick
from navigator.learning.services import Place, enroll, find_place


def title_in(texts: dict, locale: str, default: str, fallback: str) -> str:
    """The title in the locale, else in the default language, else the fallback."""
    return pick(texts, locale, default)[1].get("title") or fallback


def open_place(s: Session, user_id: int, slug: str,
          lesson: tuple[str, str] | None = None) -> tuple[Place, Content]:
    """The navigator's place in a course (enrolled on their first visit) and the content of
    the version they follow."""
    place = enroll(s, find_place(s, user_id, slug, lesson), lesson)
    return place, content.of(s, place.version_id)
