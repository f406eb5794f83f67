"""Accounts domain, without HTTP and without an app context: services are plain functions."""

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlmodel import SQLModel

from navigator.accounts import services
from navigator.accounts.models import Invitation, User
from navigator.errors import Conflict, Forbidden, Invalid, NotFound
from tests.conftest import PASSWORD


def test_passwords_are_argon2id_and_verify(session, make_user):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert services.verify_password(user, PASSWORD)
    assert not services.verify_password(user, PASSWORD + "x")
    assert not services.verify_password(None, PASSWORD)


@pytest.mark.parametrize("password", ["short", "password1234", "qwertyuiop", "1234567890"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(Invalid) as info:
        services.check_password_rules(password, min_length=10)
    assert info.value.field == "password"


def test_password_hints_count_against_strength():
    with pytest.raises(Invalid):
        services.check_password_rules("kwabenamensah", min_length=10,
                                      hints=("kwabena.mensah@example.org", "Kwabena Mensah"))
    services.check_password_rules("kwabenamensah", min_length=10)


def test_authenticate_gives_one_message_for_every_failure(session, make_user):
    user = make_user(email="a@example.org")
    with pytest.raises(Invalid) as unknown:
        services.authenticate(session, "nobody@example.org", PASSWORD)
    with pytest.raises(Invalid) as wrong:
        services.authenticate(session, "a@example.org", "wrong password")
    user.is_active = False
    with pytest.raises(Invalid) as inactive:
        services.authenticate(session, "a@example.org", PASSWORD)
    assert unknown.value.message == wrong.value.message == inactive.value.message


def test_emails_are_unique_regardless_of_case(session, make_user):
    make_user(email="Same@Example.org")
    with pytest.raises(Conflict):
        services.create_user(session, email="same@example.ORG", password=PASSWORD,
                             display_name="Twin", min_length=10)


def stored_anywhere(session, text: str) -> list[str]:
    """The table.column places where any stored value contains the text."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for row in session.connection().execute(sa.select(table)).mappings():
            found += [f"{table.name}.{name}" for name, value in row.items()
                      if value is not None and text in str(value)]
    return found


def test_invitation_is_single_use(session, make_user, make_programme):
    programme = make_programme()
    manager = make_user("manager", programme)
    actor = services.principal(session, manager)
    invitation, raw = services.invite(session, actor, programme_id=programme.id,
                                      role="trainer", email="New@Example.org", days=14)
    session.commit()
    assert invitation.email == "new@example.org"
    # Only the SHA-256 of the token is stored; the token itself is nowhere in the database.
    assert invitation.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert stored_anywhere(session, raw) == []
    newcomer = make_user("navigator", programme)
    services.accept_invitation(session, raw, newcomer)
    session.commit()
    assert "trainer" in services.principal(session, newcomer).roles
    with pytest.raises(NotFound):
        services.accept_invitation(session, raw, newcomer)


def test_invitation_expires(session, make_user, make_programme):
    programme = make_programme()
    actor = services.principal(session, make_user("manager", programme))
    invitation, raw = services.invite(session, actor, programme_id=programme.id,
                                      role="navigator", email="x@example.org", days=14)
    invitation.expires_at = services.utcnow() - timedelta(minutes=1)
    session.commit()
    with pytest.raises(NotFound):
        services.get_invitation(session, raw)


def test_managers_cannot_invite_to_other_programmes(session, make_user, make_programme):
    mine, theirs = make_programme(), make_programme()
    actor = services.principal(session, make_user("manager", mine))
    with pytest.raises(NotFound):
        services.invite(session, actor, programme_id=theirs.id, role="navigator",
                        email="x@example.org", days=14)
    assert session.exec(services.select(Invitation)).first() is None


def test_navigators_cannot_invite(session, make_user, make_programme):
    programme = make_programme()
    actor = services.principal(session, make_user("navigator", programme))
    with pytest.raises(NotFound):
        services.invite(session, actor, programme_id=programme.id, role="navigator",
                        email="x@example.org", days=14)


def test_join_code_adds_navigator_role_and_can_be_disabled(session, make_user,
                                                           make_programme):
    programme = make_programme()
    user = make_user("navigator")
    services.join_with_code(session, user, programme.join_code.lower()[:4] + "-"
                            + programme.join_code[4:])
    assert programme.id in services.principal(session, user).programme_ids("navigator")
    programme.join_code_enabled = False
    with pytest.raises(Invalid):
        services.join_with_code(session, user, programme.join_code)


def test_reset_link_is_one_time_and_expires(session, make_user):
    user = make_user(email="r@example.org")
    old_nonce = user.session_nonce
    assert services.start_password_reset(session, "nobody@example.org", hours=2) is None
    _user, raw = services.start_password_reset(session, "R@example.org", hours=2)
    services.finish_password_reset(session, raw, "lantern-orchard-violet-9", min_length=10)
    session.commit()
    assert services.verify_password(user, "lantern-orchard-violet-9")
    assert user.session_nonce != old_nonce  # other sessions end
    with pytest.raises(NotFound):
        services.check_reset_token(session, raw)
    _user, raw2 = services.start_password_reset(session, "r@example.org", hours=2)
    session.commit()
    reset = session.exec(services.select(services.PasswordReset).where(
        services.PasswordReset.token_hash == services.token_digest(raw2))).one()
    reset.expires_at = services.utcnow() - timedelta(seconds=1)
    with pytest.raises(NotFound):
        services.check_reset_token(session, raw2)


def test_people_list_is_scoped_to_managed_programmes(session, make_user, make_programme):
    a, b = make_programme(), make_programme()
    manager = make_user("manager", a)
    mine = make_user("navigator", a, name="Zara Mine")
    theirs = make_user("navigator", b, name="Zed Theirs")
    actor = services.principal(session, manager)
    rows, total = services.list_people(session, actor)
    ids = {u.id for u, _m in rows}
    assert mine.id in ids and theirs.id not in ids and total == len(ids)
    rows, _total = services.list_people(session, actor, query="zara")
    assert [u.id for u, _m in rows] == [mine.id]
    rows, _total = services.list_people(session, actor, programme_id=b.id)
    assert rows == []


def test_deactivation_ends_sessions_and_keeps_the_account(session, make_user,
                                                         make_programme):
    programme = make_programme()
    manager = make_user("manager", programme)
    person = make_user("navigator", programme)
    old_id = f"{person.id}.{person.session_nonce}"
    services.set_active(session, services.principal(session, manager), user_id=person.id,
                        active=False)
    session.commit()
    assert services.load_principal(session, old_id) is None
    assert session.get(User, person.id) is not None
    with pytest.raises(Forbidden):
        services.set_active(session, services.principal(session, manager),
                            user_id=manager.id, active=False)


def test_roles_are_per_programme(session, make_user, make_programme):
    a, b = make_programme(), make_programme()
    manager = make_user("manager", a)
    make_user("manager", b)
    person = make_user("navigator", a)
    actor = services.principal(session, manager)
    services.set_roles(session, actor, user_id=person.id, programme_id=a.id,
                       roles={"navigator", "trainer"})
    session.commit()
    assert services.principal(session, person).roles == {"navigator", "trainer"}
    with pytest.raises(NotFound):
        services.set_roles(session, actor, user_id=person.id, programme_id=b.id,
                           roles={"manager"})


def test_api_tokens_are_hashed_and_revocable(session, make_user):
    user = make_user()
    token, raw = services.create_api_token(session, user, "laptop")
    session.commit()
    assert raw.startswith("nav_") and token.token_hash == services.token_digest(raw)
    assert services.user_for_api_token(session, raw).id == user.id
    services.revoke_api_token(session, user, token.id)
    assert services.user_for_api_token(session, raw) is None


NEW_ACCOUNT = {"password": PASSWORD, "display_name": "New Person", "locale": "sw",
               "min_length": 10}


def test_sign_up_with_code_tells_a_wrong_code_first_and_makes_nothing(session, make_user,
                                                                      make_programme):
    programme = make_programme()
    make_user(email="taken@example.org")
    with pytest.raises(Invalid) as wrong:  # the e-mail is taken too; the code is told
        services.sign_up_with_code(session, "NOPE2345", email="taken@example.org",
                                   **NEW_ACCOUNT)
    assert wrong.value.field == "code"
    user, joined = services.sign_up_with_code(session, programme.join_code,
                                              email="new@example.org", **NEW_ACCOUNT)
    assert joined.id == programme.id and user.locale == "sw"
    assert services.principal(session, user).memberships == [(programme.id, "navigator")]


def test_sign_up_with_invitation_gives_its_role_once(session, make_user, make_programme):
    programme = make_programme()
    actor = services.principal(session, make_user("manager", programme))
    invitation, raw = services.invite(session, actor, programme_id=programme.id,
                                      role="trainer", email="new@example.org", days=14)
    opened, its_programme = services.open_invitation(session, raw)
    assert (opened.id, its_programme.id) == (invitation.id, programme.id)
    user, joined = services.sign_up_with_invitation(session, raw, email="new@example.org",
                                                    **NEW_ACCOUNT)
    assert joined.id == programme.id and invitation.used_by == user.id
    assert services.principal(session, user).roles == {"trainer"}
    with pytest.raises(NotFound):
        services.sign_up_with_invitation(session, raw, email="other@example.org",
                                         **NEW_ACCOUNT)


def test_open_session_gives_the_principal_its_cookie_names(session, make_user):
    user = make_user("trainer")
    signed_in = services.open_session(session, user, hours=1)
    session.commit()
    found = services.load_principal(session, signed_in.get_id())
    assert found is not None and found.roles == signed_in.roles == {"trainer"}
    assert services.count_sessions(session, user) == 1


def test_programmes_a_person_manages_and_their_join_codes(session, make_user,
                                                          make_programme):
    mine, theirs = make_programme("B mine"), make_programme("A theirs")
    manager = services.principal(session, make_user("manager", mine))
    admin = services.principal(session, make_user("admin"))
    assert services.managed_programmes(session, manager) == {mine.id: "B mine"}
    assert list(services.managed_programmes(session, admin).values())[:2] == ["A theirs",
                                                                             "B mine"]
    old = mine.join_code
    assert services.renew_join_code(session, manager, mine.id).join_code != old
    with pytest.raises(NotFound):
        services.renew_join_code(session, manager, theirs.id)


def test_create_programme_takes_every_setting(session):
    programme = services.create_programme(session, name=" Clinic ", default_locale="fr",
                                          join_code_enabled=False,
                                          crisis_resources="  Call 112.  ")
    assert (programme.name, programme.default_locale, programme.join_code_enabled,
            programme.crisis_resources) == ("Clinic", "fr", False, "Call 112.")


def test_shipped_hashing_meets_owasp_and_old_hashes_are_remade_at_sign_in(session, make_user):
    # The tests hash with cheaper parameters (conftest); the shipped ones are checked here.
    made = PasswordHasher(**services.HASHING).hash(PASSWORD)
    assert made.startswith("$argon2id$") and "$m=19456,t=2,p=1$" in made
    user = make_user(email="old@example.org")
    older = PasswordHasher(time_cost=1, memory_cost=512, parallelism=2)  # not what is in force
    user.password_hash = older.hash(PASSWORD)
    session.commit()
    assert services.authenticate(session, "old@example.org", PASSWORD) is user
    assert not services._hasher.check_needs_rehash(user.password_hash)
    assert services.verify_password(user, PASSWORD)
