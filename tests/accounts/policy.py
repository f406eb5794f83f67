"""Route policy for accounts and home endpoints."""

from navigator.accounts import services
from tests.policy import (
    LOGIN,
    NOT_FOUND,
    OK,
    Rule,
    everyone,
    managers,
    signed_in,
)


def _invitation(world):
    if "invitation" not in world.extra:
        world.extra["invitation"] = world.extra["session"].exec(
            services.select(services.Invitation)).first()
    return {"invitation_id": world.extra["invitation"].id}


def _token(world):
    return {"token_id": world.extra["api_token"].id}


POLICY = {
    "home.index": Rule({"GET": everyone(OK)}),
    "home.health": Rule({"GET": everyone(OK)}),
    "accounts.sign_in": Rule({"GET": everyone(OK), "POST": everyone(OK)}),
    # Signing out, signed in or not, ends on the sign-in page.
    "accounts.sign_out": Rule({"POST": everyone(LOGIN)}),
    # The policy posts no locale: refused as a bad request, whoever asks.
    "accounts.set_language": Rule({"POST": everyone(400)}),
    "accounts.accept_invitation": Rule({"GET": everyone(NOT_FOUND), "POST": everyone(NOT_FOUND)},
                                       lambda w: {"token": "no-such-invitation"}),
    "accounts.join": Rule({"GET": everyone(OK), "POST": everyone(OK)}),
    "accounts.forgot_password": Rule({"GET": everyone(OK), "POST": everyone(OK)}),
    "accounts.reset_password": Rule({"GET": everyone(NOT_FOUND), "POST": everyone(NOT_FOUND)},
                                    lambda w: {"token": "no-such-reset"}),
    "accounts.profile": Rule({"GET": signed_in(), "POST": signed_in()}),
    "accounts.change_password": Rule({"GET": signed_in(), "POST": signed_in()}),
    # Signed in: every session ended, then the sign-in page; anonymous: asked to sign in.
    "accounts.sign_out_everywhere": Rule({"POST": everyone(LOGIN)}),
    "accounts.create_token": Rule({"POST": signed_in()}),
    # The token belongs to the target navigator: nobody else can see or revoke it.
    "accounts.revoke_token": Rule({"POST": {**everyone(NOT_FOUND), "anonymous": LOGIN}},
                                  _token),
    "accounts.people": Rule({"GET": managers(other=OK)}),
    "accounts.invite": Rule({"GET": managers(other=OK), "POST": managers(other=OK)}),
    "accounts.revoke_invitation": Rule({"POST": managers()}, _invitation),
    "accounts.person": Rule({"GET": managers(), "POST": managers()},
                            lambda w: {"user_id": w.target.id}),
    "accounts.set_active": Rule({"POST": managers()}, lambda w: {"user_id": w.target.id}),
    "accounts.programmes": Rule({"GET": managers(other=OK),
                                 "POST": {**managers(), "manager": "forbidden",
                                          "other": "forbidden"}}),
    "accounts.programme": Rule({"GET": managers(), "POST": managers()},
                               lambda w: {"programme_id": w.a.id}),
    "accounts.new_join_code": Rule({"POST": managers()}, lambda w: {"programme_id": w.a.id}),
}
