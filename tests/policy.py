"""Route-policy vocabulary: what each kind of person should get from each endpoint."""

from collections.abc import Callable
from dataclasses import dataclass, field

OK = "ok"                # served: not an access error, not a 5xx (a 400 for an empty form is fine)
LOGIN = "login"          # redirected to the sign-in page
FORBIDDEN = "forbidden"  # 403
NOT_FOUND = "not found"  # 404: includes another programme's data, which must not be revealed
ANY = "any"              # anything but a 5xx
# Where a category says too little (a 400 is "ok" to it), an expectation may be the exact
# status code instead, as an int.

ACTORS = ("anonymous", "navigator", "trainer", "manager", "admin", "other")


def everyone(expect: str | int) -> dict[str, str | int]:
    return dict.fromkeys(ACTORS, expect)


def signed_in(expect: str = OK) -> dict[str, str]:
    return {**everyone(expect), "anonymous": LOGIN}


def managers(other: str = NOT_FOUND) -> dict[str, str]:
    """Managers of the programme and administrators; 'other' manages a different programme."""
    return {"anonymous": LOGIN, "navigator": FORBIDDEN, "trainer": FORBIDDEN, "manager": OK,
            "admin": OK, "other": other}


def trainers(other: str = NOT_FOUND) -> dict[str, str]:
    """Trainers and managers of the programme and administrators."""
    return {**managers(other), "trainer": OK}


@dataclass
class Rule:
    """Expected answers per HTTP method, and how to fill the URL's variables from the world."""

    methods: dict[str, dict[str, str | int]]
    args: Callable[..., dict] = field(default=lambda world: {})
    # Forms carry CSRF tokens; an API authenticated by bearer tokens does not use cookies.
    csrf: bool = True
