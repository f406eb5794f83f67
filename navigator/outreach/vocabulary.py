"""The fixed lists outreach records use: stored as keys, shown as translated labels."""

from navigator.i18n import LANGUAGES, _l

SETTINGS = {
    "community_centre": _l("Community centre"),
    "clinic": _l("Clinic"),
    "home_visit": _l("Home visit"),
    "phone": _l("Phone"),
    "online": _l("Online"),
    "other": _l("Other setting"),
}

DIGITAL_TASKS = {
    "install_app": _l("Installing or updating an app"),
    "account": _l("Setting up an account or password"),
    "privacy": _l("Privacy and security settings"),
    "evaluate_app": _l("Evaluating a health app"),
    "evaluate_chatbot": _l("Evaluating a chatbot or AI answer"),
    "find_information": _l("Finding trustworthy health information"),
    "telehealth": _l("Joining a video or phone appointment"),
    "other": _l("Another digital task"),
}

REFERRAL_KINDS = {
    "mental_health": _l("Mental-health service"),
    "crisis": _l("Crisis line or emergency service"),
    "primary_care": _l("Primary care or clinic"),
    "social": _l("Social services (housing, food, income)"),
    "peer_support": _l("Peer-support group"),
    "digital_skills": _l("Digital-skills class or library"),
    "other": _l("Another kind of referral"),
}

AGE_BANDS = {
    "under_18": _l("Under 18"),
    "18_29": _l("18 to 29"),
    "30_49": _l("30 to 49"),
    "50_64": _l("50 to 64"),
    "65_plus": _l("65 and over"),
}

GENDERS = {
    "woman": _l("Woman"),
    "man": _l("Man"),
    "another": _l("Another gender"),
    "not_recorded": _l("Gender not recorded"),
}

# Breakdowns of the people reached: dimension → its bands.
BREAKDOWNS = {"age": AGE_BANDS, "gender": GENDERS}

OTHER_LANGUAGE = "other"
LANGUAGE_CODES = (*(lang.code for lang in LANGUAGES), OTHER_LANGUAGE)


def language_label(code: str) -> str:
    """A language named in itself, or 'Another language'."""
    for lang in LANGUAGES:
        if lang.code == code:
            return lang.native
    return str(_l("Another language"))


def label(mapping: dict, key: str) -> str:
    """The translated label of a stored key; the key itself when it left the list."""
    return str(mapping[key]) if key in mapping else key

HINT_LABELS = {
    "email": _l("an e-mail address"),
    "phone": _l("a phone number"),
    "id_number": _l("an ID number"),
}

# The facts of an activity as the trail of changes names them.
FIELD_NAMES = {
    "held_on": _l("Date"),
    "minutes": _l("Length in minutes"),
    "setting": _l("Setting"),
    "site_id": _l("Site"),
    "languages": _l("Languages used"),
    "people": _l("People reached"),
    "age": _l("Age groups"),
    "gender": _l("Gender"),
    "topics": _l("Topics covered"),
    "tasks": _l("Digital tasks"),
    "referrals": _l("Referrals made"),
    "note": _l("Note"),
}
