"""A quiz page's unanswered questions as HTML, kept per published quiz: its largest cost."""

import threading
from typing import NamedTuple
from weakref import WeakKeyDictionary

from cachetools import LRUCache
from flask import get_template_attribute
from markupsafe import Markup

from navigator.i18n import get_locale, language
from navigator.learning.content import QuizRow
from navigator.learning.forms import field_name
from navigator.learning.study import Question

# Per quiz row: a published version's rows live in the content cache and never change, and a
# draft's are read afresh on each request, so what is kept for a row is never stale, and goes
# when the row does. Each question has as many forms as its options have orders.
KEEP_PER_QUIZ = 1024  # about 1 KB each
_kept: WeakKeyDictionary = WeakKeyDictionary()  # QuizRow → LRUCache(key → Markup)
_lock = threading.Lock()


class Unanswered(NamedTuple):
    """What the question macro reads of a field nobody has filled in."""

    id: str
    name: str
    errors: tuple = ()
    data: None = None


def blank_questions(quiz: QuizRow, text_language: str, shown: list[Question]) -> list[Markup]:
    """Each question as `learning/_quiz.html` draws it for a form nobody has filled in yet.

    What it holds depends only on the quiz, the page's and the questions' languages, the
    field's name and the options' order, which make the key: nothing of the person.
    """
    draw = get_template_attribute("learning/_quiz.html", "question")
    quiz_lang = language(text_language)
    page_language = str(get_locale())
    with _lock:
        kept = _kept.get(quiz)
        if kept is None:
            kept = _kept[quiz] = LRUCache(maxsize=KEEP_PER_QUIZ)
    out = []
    for number, q in enumerate(shown, start=1):
        name = field_name(number - 1)
        key = (page_language, text_language, q.id, name, tuple(oid for oid, _text in q.options))
        with _lock:
            html = kept.get(key)
        if html is None:
            html = Markup(draw(q, Unanswered(name, name), number, quiz_lang))
            with _lock:
                kept[key] = html
        out.append(html)
    return out
