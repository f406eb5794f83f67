"""The Open Badge is signed when the certificate is issued, so its first download is a read.

Issued through the app as a navigator meets the last requirement (the certificates page issues
it) and as a trainer signs off; then the download sends no write and carries the stored token,
checked with PyJWT against the keys the platform publishes.
"""

import jwt
from sqlmodel import select

from navigator.certification.models import BadgeCredential, Certificate, SignoffRequest
from tests.certification.conftest import TRACK, build_version, complete
from tests.certification.test_badges import published_keys
from tests.conftest import login
from tests.statements import statements_of, writes_or_locks


def _issued_with_badge(session, version_id: int) -> tuple[Certificate, BadgeCredential]:
    session.expire_all()
    cert = session.exec(select(Certificate).where(Certificate.version_id == version_id)).one()
    row = session.exec(select(BadgeCredential).where(
        BadgeCredential.certificate_id == cert.id)).first()
    assert row is not None, "the credential was not signed at issue"
    return cert, row


def test_the_credential_is_signed_at_issue_and_the_download_only_reads(
        app, client, session, setup):
    complete(session, setup.navigator, setup.version)
    login(client, setup.navigator)
    assert "Well done: your certificate" in client.get("/certificates/").get_data(as_text=True)
    cert, row = _issued_with_badge(session, setup.version.id)

    url = f"/certificates/{cert.id}/badge.jwt"
    seen = statements_of(app, client, url)
    assert not writes_or_locks(seen), seen
    token = client.get(url).get_data(as_text=True)
    assert token == row.jws
    key = published_keys(client)[row.kid]
    claims = jwt.decode(token, key.key, algorithms=[key.algorithm_name],
                        options={"verify_aud": False})
    assert claims["credentialSubject"]["achievement"]["name"] == "Certified tester"
    assert session.exec(select(BadgeCredential)).all() == [row]  # none minted again


def test_a_trainer_s_sign_off_signs_the_credential_too(client, session, setup, make_user):
    version = build_version(session, setup.programme, slug="signed",
                            track={**TRACK, "id": "signed", "trainer_signoff": True})
    complete(session, setup.navigator, version)
    login(client, setup.navigator)
    client.get("/certificates/")  # asks for the sign-off
    request = session.exec(select(SignoffRequest)).one()
    login(client, make_user("trainer", setup.programme))
    assert client.form(f"/certificates/signoffs/{request.id}/approve").status_code == 302
    _issued_with_badge(session, version.id)


def test_a_certificate_issued_without_one_is_signed_on_its_first_download(
        client, session, setup, certified):
    """Certificates issued before this change (or when signing failed) still get their badge."""
    assert session.exec(select(BadgeCredential)).first() is None
    login(client, setup.navigator)
    response = client.get(f"/certificates/{certified.id}/badge.jwt")
    assert response.status_code == 200
    _cert, row = _issued_with_badge(session, setup.version.id)
    assert response.get_data(as_text=True) == row.jws
