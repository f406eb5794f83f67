"""A navigator's own preference tuning: pick the better of two answers, many times; reset.

The choices are the person's alone (their user id and language); they tune only the model that
person sees, on the preferences and three-stages pages, and a reset deletes them. Each round's
two answers come from the instruction-tuned model with seeds taken from the person and the
round, so the page shows the same pair again after a reload, and the server never has to trust
answers sent back by the browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, delete, select

from navigator.db import insert_once
from navigator.errors import Conflict, NotFound
from navigator.i18n import _
from navigator.sandbox.inside import (
    lexicon_of,
    rating_pair,
    simulated_rater,
    stages,
)
from navigator.sandbox.model.engine import LanguageEngine
from navigator.sandbox.model.generation import Settings
from navigator.sandbox.model.preferences import RewardModel, features, fit
from navigator.sandbox.models import PreferenceChoice
from navigator.sandbox.scenarios import Scenario

KIND = "preference"


def preference_scenario(scenarios: Mapping[str, Scenario]) -> Scenario:
    """The preference scenario in force (its questions, features and settings); else NotFound."""
    found = next((sc for sc in scenarios.values() if sc.kind == KIND), None)
    if found is None:
        raise NotFound(_("There is no preference activity in this sandbox."))
    return found


def choices(s: Session, user_id: int, locale: str) -> list[PreferenceChoice]:
    """The person's choices in a language, in the order made."""
    return list(s.exec(select(PreferenceChoice)
                       .where(PreferenceChoice.user_id == user_id,
                              PreferenceChoice.locale == locale)
                       .order_by(col(PreferenceChoice.round))))


def pair(lang: LanguageEngine, scenario: Scenario, texts: Mapping[str, Any], user_id: int,
         round_no: int) -> tuple[str, list[str]]:
    """The question and two answers of a person's round, in the order shown."""
    question, answers = rating_pair(lang, texts.get("questions") or [""], round_no,
                                    scenario.settings, salt=user_id)
    if (user_id + round_no) % 2:  # which answer comes first changes from round to round
        answers = answers[::-1]
    return question, answers


def record(s: Session, lang: LanguageEngine, scenario: Scenario, texts: Mapping[str, Any],
           user_id: int, round_no: int, pick: int) -> PreferenceChoice | None:
    """Store the person's pick (0 or 1) for a round; None when that round was already stored.

    Only the next round can be rated: a page left open after a reset, or in another window,
    is refused with a Conflict that asks for a reload.
    """
    if pick not in (0, 1):
        raise Conflict(_("Choose one of the two answers."))
    done = choices(s, user_id, lang.locale)
    if any(c.round == round_no for c in done):
        return None
    if round_no != len(done):
        raise Conflict(_("This pair is out of date. Here is the next one."))
    question, answers = pair(lang, scenario, texts, user_id, round_no)
    row = PreferenceChoice(user_id=user_id, locale=lang.locale, round=round_no,
                           question=question, chosen=answers[pick], passed=answers[1 - pick])
    return row if insert_once(s, row) else None


def reset(s: Session, user_id: int, locale: str) -> int:
    """Delete the person's choices in a language; how many there were."""
    rows = choices(s, user_id, locale)
    s.exec(delete(PreferenceChoice).where(col(PreferenceChoice.user_id) == user_id,
                                          col(PreferenceChoice.locale) == locale))
    return len(rows)


def reward_of(rows: list[PreferenceChoice], lexicon: Mapping[str, Any]) -> RewardModel:
    """The reward model the person's choices teach."""
    return fit([(features(r.chosen, lexicon), features(r.passed, lexicon)) for r in rows])


def three_stages(lang: LanguageEngine, scenario: Scenario, texts: Mapping[str, Any],
                 prompt: str, rows: list[PreferenceChoice], settings: Settings | None = None
                 ) -> dict[str, Any]:
    """The prompt answered by the pretrained, instruction-tuned and preference-tuned models.

    The preference stage uses the person's own choices when they made any, else the
    activity's built-in rater.
    """
    lexicon = lexicon_of(texts)
    settings = settings or scenario.settings
    own = bool(rows)
    reward = reward_of(rows, lexicon) if own else simulated_rater(lang, scenario, texts,
                                                                  scenario.settings)[0]
    strength = float(scenario.extra.get("strength", 1.0))
    return {"prompt": prompt, "own": own, "reward": reward.to_dict(), "strength": strength,
            "rater": scenario.extra.get("rater") or {}, "model_locale": lang.locale,
            "stages": stages(lang, prompt, settings, reward, lexicon, strength)}
