"""Addresses of endpoints without values, kept per path prefix by create_app's app class."""

from flask import url_for


def test_fixed_addresses_follow_the_path_prefix_and_the_options(app):
    for _ in range(2):  # the second round is served from what the first kept
        with app.test_request_context(base_url="http://localhost/one"):
            assert url_for("accounts.profile") == "/one/account"
        with app.test_request_context(base_url="http://localhost/two"):
            assert url_for("accounts.profile") == "/two/account"
        with app.test_request_context():
            assert url_for("accounts.profile") == "/account"
            assert url_for("accounts.profile", _external=True) == "http://localhost/account"
            assert url_for("accounts.profile", _anchor="keys") == "/account#keys"
            assert url_for("static", filename="navigator.css").startswith(
                "/static/navigator.css?v=")


def test_a_url_defaults_hook_is_still_heard(app):
    with app.test_request_context():
        assert url_for("accounts.profile") == "/account"

    @app.url_defaults
    def _tag(endpoint, values):
        if endpoint == "accounts.profile":
            values.setdefault("from", "menu")

    with app.test_request_context():
        assert url_for("accounts.profile") == "/account?from=menu"
