"""A test-wise guesser: can surface cues alone pass a quiz? Score per quiz and locale.

    .venv/bin/python benchmarks/quiz_guesser.py [PACKAGE ...] [--locale CODE] [--quiet]

Answers every quiz of the course packages (all of curricula/ by default), in every locale, with
strategies that never read for meaning, grades them as the platform does, and prints each
score beside the quiz's pass mark. Exits 1 unless every strategy stays below every pass mark.

  longest   the longest option; in "choose all", every option at least as long as the average;
            true/false: false (the old quizzes' habit)
  shortest  the shortest option; in "choose all", every option at most as long as the average;
            true/false: true
  overlap   the option sharing most words with the case and prompt; in "choose all", every
            option sharing more than the average; true/false: true
  middle    the option in the middle of the key's order (options are shuffled on screen, but
            files are printed and exported in this order); "choose all": all but the ends;
            true/false: true
  first     the first option; "choose all": every option; true/false: true
  last      the last option; "choose all": every option; true/false: false
  cues      "all of the above"-style options first, then hedged over absolute wording ("can",
            "often" over "always", "never", "only"), then the longest; true/false: false when
            the statement is absolute, else true
"""

import argparse
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from navigator.learning import package, quizcheck  # noqa: E402
from navigator.learning.services import grade  # noqa: E402

WORD = re.compile(r"[^\s.,;:!?¿¡\"'“”‘’«»()\[\]।،؛؟/—–-]+")
ALL_OF = re.compile(
    r"all of the above|both of the above|none of the above|todas las anteriores|"
    r"ninguna de las anteriores|todas as anteriores|nenhuma das anteriores|"
    r"toutes les réponses|aucune de ces réponses|yote yaliyo hapo juu|"
    r"hakuna kati ya hayo|جميع ما سبق|كل ما سبق|لا شيء مما سبق|उपरोक्त सभी|"
    r"इनमें से कोई नहीं", re.I)
ABSOLUTE = {
    "en": "always never only all every none guarantee guaranteed certainly cannot must",
    "es": "siempre nunca solo sólo todo todos todas ninguno ninguna garantiza jamás debe",
    "pt_BR": "sempre nunca só somente todo todos todas nenhum nenhuma garante jamais deve",
    "fr": "toujours jamais seulement uniquement tout tous toutes aucun aucune garantit doit",
    "sw": "kamwe daima tu wote yote kila hakuna lazima",
    "ar": "دائما دائمًا أبدا أبدًا فقط كل جميع أي مطلقا يجب",
    "hi": "हमेशा कभी केवल सिर्फ़ सिर्फ सभी हर कोई ज़रूर अवश्य",
}
HEDGE = {
    "en": "can may might often some sometimes usually could",
    "es": "puede pueden podría a veces suele algunos algunas menudo",
    "pt_BR": "pode podem poderia às vezes costuma alguns algumas frequentemente",
    "fr": "peut peuvent pourrait parfois souvent certains certaines",
    "sw": "inaweza huenda mara baadhi wakati mwingine",
    "ar": "قد يمكن أحيانا أحيانًا غالبا غالبًا بعض",
    "hi": "सकता सकती सकते कभी-कभी अक्सर कुछ",
}
STRATEGIES = ("longest", "shortest", "overlap", "middle", "first", "last", "cues")


def words(text: str) -> list[str]:
    """Lower-cased words of a text, in any of the platform's scripts."""
    return [w for w in WORD.findall(text.lower()) if w]


def option_text(text: dict, option: str) -> str:
    """One option's text in one locale ('' when it has none)."""
    entry = (text.get("options") or {}).get(option) or {}
    return str(entry.get("text", "")) if isinstance(entry, dict) else str(entry)


def _count(text: str, vocabulary: str) -> int:
    found = words(text)
    return sum(found.count(w) for w in vocabulary.split())


def _longest(options: list[str], text: dict) -> str:
    return max(options, key=lambda o: len(option_text(text, o).strip()))


def answer(strategy: str, question: dict, text: dict, locale: str) -> list[str]:
    """What one strategy answers to one question in one locale."""
    options, kind = question["options"], question["type"]
    if kind == "true_false":
        if strategy == "cues":
            absolute = _count(text.get("prompt", ""), ABSOLUTE.get(locale, ABSOLUTE["en"]))
            return ["false" if absolute else "true"]
        return ["false" if strategy in ("longest", "last") else "true"]
    lengths = {o: len(option_text(text, o).strip()) for o in options}
    stem = set(words(f"{text.get('case', '')} {text.get('prompt', '')}"))
    shared = {o: len({w for w in words(option_text(text, o)) if len(w) > 3} & stem)
              for o in options}
    if kind == "multiple":
        if strategy == "longest":
            mean = statistics.mean(lengths.values())
            return [o for o in options if lengths[o] >= mean]
        if strategy == "shortest":
            mean = statistics.mean(lengths.values())
            return [o for o in options if lengths[o] <= mean]
        if strategy == "overlap":
            mean = statistics.mean(shared.values())
            return [o for o in options if shared[o] > mean] or options
        if strategy == "middle":
            return options[1:-1]
        if strategy == "cues":
            return [o for o in options if not _count(option_text(text, o),
                                                   ABSOLUTE.get(locale, ABSOLUTE["en"]))]
        return list(options)
    if strategy == "longest":
        return [_longest(options, text)]
    if strategy == "shortest":
        return [min(options, key=lambda o: lengths[o])]
    if strategy == "overlap":
        return [max(options, key=lambda o: (shared[o], lengths[o]))]
    if strategy == "middle":
        return [options[(len(options) - 1) // 2]]
    if strategy in ("first", "last"):
        return [options[0 if strategy == "first" else -1]]
    marked = [o for o in options if ALL_OF.search(option_text(text, o))]
    if marked:
        return [marked[0]]

    def cue(o: str) -> tuple:
        body = option_text(text, o)
        return (_count(body, HEDGE.get(locale, HEDGE["en"]))
                - _count(body, ABSOLUTE.get(locale, ABSOLUTE["en"])), lengths[o])
    return [max(options, key=cue)]


def scores(quiz: package.QuizFile, locale: str) -> dict[str, int]:
    """Each strategy's score, in percent, on one quiz in one locale."""
    texts = quiz.texts.get(locale, {}).get("questions", {})
    result = {}
    for strategy in STRATEGIES:
        answers = {q["id"]: answer(strategy, q, texts.get(q["id"], {}), locale)
                   for q in quiz.key["questions"]}
        result[strategy] = grade(quiz.key, answers)[1]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", type=Path)
    parser.add_argument("--locale", help="only this locale")
    parser.add_argument("--quiet", action="store_true", help="only quizzes a strategy passes")
    args = parser.parse_args()
    roots = args.packages or package.find_packages(ROOT / "curricula")
    worst, failures = None, []
    print(f"{'quiz':<46} {'locale':<6} {'pass':>4}  "
          + " ".join(f"{s:>8}" for s in STRATEGIES) + "  best")
    for root in roots:
        pkg = package.load_package(root)
        for quiz, _folder, _stem in quizcheck.quizzes(pkg):
            for locale in sorted(quiz.texts, key=lambda c: (c != pkg.default_locale, c)):
                if args.locale and locale != args.locale:
                    continue
                found = scores(quiz, locale)
                best = max(found.values())
                name = f"{pkg.slug}/{quiz.slug}"
                if best >= quiz.pass_mark:
                    failures.append(f"{name} [{locale}]")
                if worst is None or best - quiz.pass_mark > worst[0]:
                    worst = (best - quiz.pass_mark, best, quiz.pass_mark, f"{name} [{locale}]")
                if args.quiet and best < quiz.pass_mark:
                    continue
                print(f"{name:<46} {locale:<6} {quiz.pass_mark:>3}%  "
                      + " ".join(f"{found[s]:>7}%" for s in STRATEGIES)
                      + f"  {best:>3}%" + ("  PASSES" if best >= quiz.pass_mark else ""))
    if worst is None:
        print("No quizzes found.")
        return 1
    if failures:
        print(f"NOT all below: a surface-cue guesser reaches the pass mark in {len(failures)} "
              f"quiz/locale pair(s): {', '.join(failures[:8])}")
        return 1
    print(f"All strategies stay below every pass mark (closest: {worst[1]}% against "
          f"{worst[2]}% in {worst[3]}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
