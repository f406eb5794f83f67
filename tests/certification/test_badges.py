"""Open Badges 3.0: every certificate as a signed OpenBadgeCredential, checked from outside.

Signatures are verified with PyJWT, an independent JOSE library, against the key set the
platform publishes; shapes with the 1EdTech JSON schema shipped in the package; the status list
is decoded by hand here, not with the platform's decoder.
"""

import base64
import gzip
import hashlib
import io
import json
import logging
import re
import stat
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import jsonschema
import jwt
import pytest
from PIL import Image
from sqlmodel import select

from navigator.accounts.models import User
from navigator.accounts.services import principal
from navigator.certification import manage
from navigator.certification.badges import check, credential, keys
from navigator.certification.models import BadgeCredential
from tests.conftest import login

DATA = credential.DATA


def mint(app, session, cert) -> BadgeCredential:
    with app.app_context():
        row = credential.get_or_mint(session, cert, keys.keyring(app), app.config["BASE_URL"])
    session.commit()
    return row


def published_keys(client) -> jwt.PyJWKSet:
    response = client.get("/badges/jwks.json")
    assert response.status_code == 200
    data = response.get_json(force=True)
    assert all("d" not in k for k in data["keys"])  # never a private part
    return jwt.PyJWKSet.from_dict(data)


def verify_independently(client, token: str) -> dict:
    """PyJWT checks the signature with the published key named in the header."""
    header = jwt.get_unverified_header(token)
    assert set(header) <= {"alg", "kid", "typ", "jwk"}  # OB 3.0 allows no other header
    assert header["typ"] == "JWT"
    jwk = next(k for k in published_keys(client).keys if k.key_id == header["kid"])
    # The kid is a URL that dereferences to the same public key.
    path = header["kid"].removeprefix("http://navigator.test")
    assert client.get(path).get_json(force=True)["x"] == jwk._jwk_data["x"]
    return jwt.decode(token, jwk.key, algorithms=[header["alg"]],
                      options={"verify_exp": False, "verify_nbf": False})


def bits_of(encoded: str) -> bytes:
    assert encoded[0] == "u"  # multibase base64url, no padding
    raw = encoded[1:]
    assert "=" not in raw
    return gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


def status_bit(client, status: dict) -> int:
    url = status["statusListCredential"].removeprefix("http://navigator.test")
    listed = client.get(url, headers={"Accept": "application/json"}).get_json(force=True)
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    bits = bits_of(listed["credentialSubject"]["encodedList"])
    assert len(bits) * 8 >= 131_072
    index = int(status["statusListIndex"])
    return (bits[index // 8] >> (7 - index % 8)) & 1


def test_the_credential_verifies_with_an_independent_library(app, session, certified):
    row = mint(app, session, certified)
    claims = verify_independently(app.test_client(), row.jws)
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["@context"] == [credential.VC_CONTEXT, credential.OB_CONTEXT]
    # OB 3.0 §8.2.4: the registered claims repeat the credential's own members.
    assert claims["iss"] == claims["issuer"]["id"]
    assert claims["jti"] == claims["id"] == row.credential_id
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert datetime.fromtimestamp(claims["nbf"], UTC) == datetime.fromisoformat(
        claims["validFrom"])
    assert datetime.fromtimestamp(claims["exp"], UTC) == datetime.fromisoformat(
        claims["validUntil"])
    assert claims["validUntil"].startswith(certified.expires_on.isoformat())
    badge = claims["credentialSubject"]["achievement"]
    assert badge["name"] == "Certified tester" and badge["achievementType"] == "Certificate"
    assert "Module m1" in badge["criteria"]["narrative"]
    assert "80%" in badge["criteria"]["narrative"]


def test_the_holder_is_named_as_little_as_the_standard_allows(app, session, certified):
    row = mint(app, session, certified)
    subject = credential.credential_of(row)["credentialSubject"]
    user = session.get(User, certified.user_id)
    email_id, name_id = subject["identifier"]
    assert email_id["hashed"] is True and email_id["identityType"] == "emailAddress"
    digest = hashlib.sha256((user.email.lower() + email_id["salt"]).encode()).hexdigest()
    assert email_id["identityHash"] == f"sha256${digest}"
    assert name_id == {"type": "IdentityObject", "identityType": "name", "hashed": False,
                       "identityHash": certified.printed_name}
    assert user.email not in row.jws and user.email not in json.dumps(subject)
    assert subject["id"].startswith("urn:uuid:")


def test_the_credential_has_the_shape_of_the_open_badges_schema(app, session, certified):
    row = mint(app, session, certified)
    schema = json.loads((DATA / "ob_v3p0_achievementcredential_schema.json").read_text())
    validator = jsonschema.Draft201909Validator(
        schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
    errors = [e.message for e in validator.iter_errors(credential.credential_of(row))]
    assert not errors
    tampered = credential.credential_of(row)
    del tampered["credentialSubject"]["achievement"]["criteria"]
    assert list(validator.iter_errors(tampered))  # the schema does catch a broken shape


def _terms(context: dict) -> set[str]:
    found = set()
    for name, value in context.items():
        found.add(name)
        if isinstance(value, dict) and isinstance(value.get("@context"), dict):
            found |= _terms(value["@context"])
    return found


def test_every_term_is_defined_by_a_shipped_context(app, session, certified):
    """Nothing would be dropped by JSON-LD processing; the contexts are read from the package."""
    row = mint(app, session, certified)
    defined = set()
    for url in credential.CONTEXTS:
        defined |= _terms(credential.load_context(url)["@context"])

    def walk(value):
        if isinstance(value, dict):
            for name, inner in value.items():
                assert name.startswith("@") or name in defined, f"{name} is not defined"
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(credential.credential_of(row))


def test_the_shipped_files_are_the_published_ones():
    digests = {"credentials-v2.jsonld":
               "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
               "ob-v3p0-context-3.0.3.json":
               "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761",
               "ob_v3p0_achievementcredential_schema.json":
               "859e405b592d93c3261fe899362f4128801140d4d20c01502a066b3540483d95"}
    for name, digest in digests.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name


def _retamper(token: str, change) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(data)
    body = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{header}.{body}.{signature}"


def test_changing_one_field_breaks_the_signature(app, session, certified):
    row = mint(app, session, certified)
    forged = _retamper(row.jws, lambda d: d["credentialSubject"]["identifier"][1].update(
        identityHash="Someone Else"))
    client = app.test_client()
    with pytest.raises(jwt.InvalidSignatureError):
        verify_independently(client, forged)
    with app.app_context():
        ring = keys.keyring(app)
        assert check.check(session, ring, forged).state == "tampered"
        assert check.check(session, ring, row.jws).state == "valid"
        assert check.check(session, ring, "not a credential").state == "unreadable"


def test_a_credential_from_another_key_is_not_ours(app, session, certified, tmp_path):
    row = mint(app, session, certified)
    other = keys.Keyring(keys.load_pems("", tmp_path / "other", "P-256"), "http://elsewhere")
    forged = credential.sign(other, credential.credential_of(row))
    with app.app_context():
        assert check.check(session, keys.keyring(app), forged).state == "foreign"


def test_revoking_shows_on_the_status_list_and_the_check(app, session, setup, certified,
                                                         make_user):
    row = mint(app, session, certified)
    client = app.test_client()
    status = credential.credential_of(row)["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert status_bit(client, status) == 0
    manager = make_user("manager", setup.programme)
    manage.revoke(session, principal(session, manager), certified.id, "Obtained by fraud")
    session.commit()
    assert status_bit(client, status) == 1
    # The signed form of the list verifies with the same published keys.
    token = client.get(status["statusListCredential"].removeprefix("http://navigator.test"),
                       headers={"Accept": "application/vc+jwt"}).get_data(as_text=True)
    assert verify_independently(client, token)["iss"] == credential.credential_of(row)[
        "issuer"]["id"]
    page = client.form("/verify/credential", {"credential": row.jws})
    assert page.status_code == 200
    assert "revoked" in page.get_data(as_text=True)


def test_a_replaced_certificate_says_superseded(app, session, setup, certified, make_user):
    old = mint(app, session, certified)
    manager = make_user("manager", setup.programme)
    new_cert = manage.reissue(session, principal(session, manager), certified.id,
                              printed_name="Amina J. Yusuf", locale="en", reason="Name")
    session.commit()
    new = mint(app, session, new_cert)
    with app.app_context():
        ring = keys.keyring(app)
        assert check.check(session, ring, old.jws).state == "superseded"
        assert check.check(session, ring, new.jws).state == "valid"
    assert status_bit(app.test_client(), credential.credential_of(old)["credentialStatus"]) == 1
    assert status_bit(app.test_client(), credential.credential_of(new)["credentialStatus"]) == 0


def test_an_expired_credential_says_so(app, session, certified):
    row = mint(app, session, certified)
    until = datetime.fromisoformat(credential.credential_of(row)["validUntil"])
    with app.app_context():
        ring = keys.keyring(app)
        assert check.check(session, ring, row.jws, now=until - timedelta(days=1)).state == "valid"
        assert check.check(session, ring, row.jws, now=until).state == "expired"


def test_minting_is_once_per_certificate(app, session, certified):
    first, again = mint(app, session, certified), mint(app, session, certified)
    assert first.id == again.id and first.jws == again.jws


def test_old_credentials_keep_verifying_after_a_key_rotation(app, session, setup, certified,
                                                              make_user):
    before = mint(app, session, certified)
    folder = keys.keys_folder(app.config, app.instance_path)
    keys.rotate(folder, "Ed25519")
    manager = make_user("manager", setup.programme)
    renewed = manage.reissue(session, principal(session, manager), certified.id,
                             printed_name="A. Yusuf", locale="en", reason="Name")
    session.commit()
    after = mint(app, session, renewed)
    client = app.test_client()
    assert len(published_keys(client).keys) == 2
    assert jwt.get_unverified_header(before.jws)["alg"] == "ES256"
    assert jwt.get_unverified_header(after.jws)["alg"] == "EdDSA"
    assert before.kid != after.kid
    assert verify_independently(client, before.jws)["jti"] == before.credential_id
    assert verify_independently(client, after.jws)["jti"] == after.credential_id


def test_keys_are_private_files_and_never_logged(app, session, certified, caplog):
    caplog.set_level(logging.DEBUG)
    mint(app, session, certified)
    keys.rotate(keys.keys_folder(app.config, app.instance_path), "P-256")
    folder = keys.keys_folder(app.config, app.instance_path)
    files = sorted(folder.glob("key-*.pem"))
    assert len(files) == 2
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        secret = path.read_text()
        assert "PRIVATE KEY" in secret
        assert secret not in caplog.text
    assert "PRIVATE KEY" not in caplog.text


def test_keys_can_come_from_the_environment(app_factory, session, certified):
    pem = keys.generate("P-256").decode()
    app = app_factory(BADGE_KEYS=pem)
    row = mint(app, session, certified)
    with app.app_context():
        ring = keys.keyring(app)
    assert row.kid == ring.signing.kid
    assert not keys.keys_folder(app.config, app.instance_path).exists()  # nothing written


def test_the_navigator_downloads_json_and_baked_images(app, session, setup, certified):
    client = app.test_client()
    login(client, setup.navigator)
    page = client.get("/certificates/").get_data(as_text=True)
    for kind in ("json", "png", "svg"):
        assert f"/certificates/{certified.id}/badge.{kind}" in page
    enveloped = client.get(f"/certificates/{certified.id}/badge.json").get_json(force=True)
    assert enveloped["type"] == "EnvelopedVerifiableCredential"
    token = enveloped["id"].removeprefix("data:application/vc+jwt,")
    assert verify_independently(client, token)["type"][1] == "OpenBadgeCredential"
    # PNG: Pillow reads the uncompressed iTXt chunk OB 3.0 names.
    png = client.get(f"/certificates/{certified.id}/badge.png")
    assert png.mimetype == "image/png"
    image = Image.open(io.BytesIO(png.data))
    assert image.text["openbadgecredential"] == token
    assert b"zTXt" not in png.data
    # SVG: the credential element in the OB 3.0 namespace, its verify attribute the JWS.
    svg = client.get(f"/certificates/{certified.id}/badge.svg")
    root = ET.fromstring(svg.data)
    baked = root.find("{https://purl.imsglobal.org/ob/v3p0}credential")
    assert baked is not None and baked.get("verify") == token
    # Each form goes back through the verification page, uploaded as a file.
    for name, data in (("badge.png", png.data), ("badge.svg", svg.data),
                       ("badge.json", json.dumps(enveloped).encode()),
                       ("badge.jwt", token.encode())):
        answer = client.post("/verify/credential", data={
            "csrf_token": client.csrf(), "upload": (io.BytesIO(data), name)},
            content_type="multipart/form-data")
        assert answer.status_code == 200
        assert "This credential is genuine and valid." in answer.get_data(as_text=True), name


def test_the_verification_page_says_tampered_and_unreadable(app, session, certified):
    row = mint(app, session, certified)
    client = app.test_client()
    forged = _retamper(row.jws, lambda d: d.update(validUntil="2999-01-01T00:00:00Z"))
    text = client.form("/verify/credential", {"credential": forged}).get_data(as_text=True)
    assert "has been altered" in text
    text = client.form("/verify/credential", {"credential": "hello"}).get_data(as_text=True)
    assert "No credential was found" in text
    assert client.form("/verify/credential", {}).status_code == 400


def test_public_documents(app, session, setup, certified):
    row = mint(app, session, certified)
    client = app.test_client()
    data = credential.credential_of(row)
    issuer = client.get(data["issuer"]["id"].removeprefix("http://navigator.test"))
    assert issuer.get_json(force=True)["name"] == setup.programme.name
    achievement = client.get(data["credentialSubject"]["achievement"]["id"]
                             .removeprefix("http://navigator.test"))
    assert achievement.get_json(force=True)["name"] == "Certified tester"
    assert client.get("/badges/keys/nope").status_code == 404
    assert client.get("/badges/issuers/9999").status_code == 404
    assert client.get("/badges/status/9999/1").status_code == 404
    assert re.match(r"^http://navigator\.test/badges/keys/[\w-]{43}$", row.kid)


def test_every_credential_lands_on_its_own_status_index(app, session, certified):
    seen = set()
    with app.app_context():
        for _ in range(50):
            number, index = credential.status.allocate(session, certified.programme_id)
            assert 0 <= index < credential.status.LIST_SIZE
            seen.add(index)
    assert len(seen) > 40  # random places: the list reveals no issuing order
    row = mint(app, session, certified)
    assert session.exec(select(BadgeCredential)).all() == [row]
