"""The certification blueprint and what its pages share: the locale, minting, the code filter."""

from flask import Blueprint, current_app

from navigator.certification import codes
from navigator.certification.badges import credential, keys
from navigator.i18n import get_locale

bp = Blueprint("certification", __name__, url_prefix="/certificates")


def _locale() -> str:
    return str(get_locale())


def _mint(s, certificates) -> None:
    """Sign each newly issued certificate's Open Badge in the transaction that issues it, so
    that its first download is a read, like every later one."""
    if not certificates:
        return
    ring, base_url = keys.keyring(current_app), current_app.config["BASE_URL"]
    for cert in certificates:
        try:
            with s.begin_nested():
                credential.get_or_mint(s, cert, ring, base_url)
        except Exception:
            # The certificate stands without it: its first download signs it instead.
            current_app.logger.exception("could not sign certificate %s's Open Badge", cert.id)


@bp.app_template_filter("certificate_code")
def certificate_code(code: str) -> str:
    """A stored code as printed: ABCDE-FGHJK."""
    return codes.display(code)
