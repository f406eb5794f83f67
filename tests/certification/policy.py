"""Route policy for certificates, sign-offs, the register and exports, and verification."""

from datetime import date

from navigator.certification import codes
from navigator.certification.models import Certificate, ExportJob, SignoffRequest
from tests.certification.conftest import build_version
from tests.policy import FORBIDDEN, LOGIN, NOT_FOUND, OK, Rule, everyone, managers


def _certificate(world) -> Certificate:
    """A certificate of the target navigator (programme A), made once per world."""
    if "certificate" not in world.extra:
        s = world.extra["session"]
        version = build_version(s, world.a, slug="policy")
        cert = Certificate(code=codes.new_code(), completion_key="policy", user_id=world.target.id,
                           programme_id=world.a.id, course_id=version.course_id,
                           version_id=version.id, track_id="tester", printed_name="Target",
                           locale="en", issued_on=date.today())
        request = SignoffRequest(user_id=world.target.id, programme_id=world.a.id,
                                 course_id=version.course_id, version_id=version.id,
                                 track_id="tester")
        export = ExportJob(requested_by=world.actors["manager"].id, kind="csv",
                           filters={"programme_ids": [world.a.id]})
        s.add_all([cert, request, export])
        s.commit()
        world.extra.update(certificate=cert, signoff=request, export=export)
    return world.extra["certificate"]


def _cert(world):
    return {"cert_id": _certificate(world).id}


def _code(world):
    return {"code": codes.display(_certificate(world).code)}


def _badge(world):
    return {"cert_id": _certificate(world).id, "kind": "json"}


def _programme(world):
    return {"programme_id": world.a.id}


def _status_list(world):
    return {"programme_id": world.a.id, "number": 1}


def _achievement(world):
    _certificate(world)
    return {"course_slug": "policy", "track_id": "tester", "number": 1}


def _signoff(world):
    _certificate(world)
    return {"request_id": world.extra["signoff"].id}


def _export(world):
    _certificate(world)
    return {"export_id": world.extra["export"].id}


NAVIGATORS = {"anonymous": LOGIN, "navigator": OK, "trainer": FORBIDDEN, "manager": FORBIDDEN,
              "admin": FORBIDDEN, "other": FORBIDDEN}
TRAINERS = {"anonymous": LOGIN, "navigator": FORBIDDEN, "trainer": OK, "manager": FORBIDDEN,
            "admin": OK, "other": FORBIDDEN}
# Only the manager who asked sees an export; administrators included, nobody else.
REQUESTER = {**managers(), "admin": NOT_FOUND}

POLICY = {
    "certification.mine": Rule({"GET": NAVIGATORS}),
    # The owner, and the managers of its programme; another navigator does not learn it exists.
    "certification.certificate_pdf": Rule({"GET": {**managers(), "navigator": NOT_FOUND}}, _cert),
    "certification.signoffs": Rule({"GET": TRAINERS}),
    "certification.approve": Rule({"POST": TRAINERS}, _signoff),
    "certification.decline": Rule({"POST": TRAINERS}, _signoff),
    "certification.register": Rule({"GET": managers(other=OK)}),
    "certification.export": Rule({"POST": managers(other=OK)}),
    "certification.export_status": Rule({"GET": REQUESTER}, _export),
    # Only a failed export is tried again; this one is queued, so its page is shown instead.
    "certification.retry_export": Rule({"POST": REQUESTER}, _export),
    # Not finished yet, so there is nothing to download, even for the manager who asked.
    "certification.download": Rule({"GET": {**REQUESTER, "manager": NOT_FOUND}}, _export),
    "certification.manage": Rule({"GET": managers()}, _cert),
    "certification.revoke": Rule({"POST": managers()}, _cert),
    "certification.reissue": Rule({"POST": managers()}, _cert),
    "verify.index": Rule({"GET": everyone(OK)}),
    "verify.certificate": Rule({"GET": everyone(OK)}, _code),
    "verify.certificate_json": Rule({"GET": everyone(OK)}, _code),
    # Open Badges: the owner and the managers download; anyone checks a credential.
    "certification.badge": Rule({"GET": {**managers(), "navigator": NOT_FOUND}}, _badge),
    "verify.credential": Rule({"POST": everyone(OK)}),
    # What verifiers anywhere read: public, and the same for everyone.
    "badges.jwks": Rule({"GET": everyone(OK)}),
    "badges.key": Rule({"GET": everyone(NOT_FOUND)}, lambda world: {"thumbprint": "unknown"}),
    "badges.issuer": Rule({"GET": everyone(OK)}, _programme),
    "badges.status_list": Rule({"GET": everyone(OK)}, _status_list),
    "badges.achievement": Rule({"GET": everyone(OK)}, _achievement),
}
