"""The generate page runs a prompt on the built-in model and a real one, side by side."""

from tests.conftest import login
from tests.sandbox_api.conftest import add

FORM = {"prompt": "A good night's sleep", "temperature": "0.8", "top_k": "40", "top_p": "1",
        "max_tokens": "12", "seed": "5", "mix": "0"}


def test_side_by_side_with_a_real_openai_compatible_server(client, session, admin, live,
                                                           token, make_user):
    endpoint = add(session, admin, base_url=live.url, model="navigator-sandbox", api_key=token)
    login(client, make_user("navigator"))
    page = client.form("/sandbox/generate", {**FORM, "endpoint": str(endpoint.id)})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "What the built-in model wrote" in html and "What the real model wrote" in html
    assert "navigator-sandbox" in html and token not in html


def test_a_dead_endpoint_gives_a_message_and_the_built_in_answer(client, session, admin,
                                                                 broken, make_user):
    endpoints = {name: add(session, admin, name=name, base_url=broken.url(name))
                 for name in ("down", "malformed", "wrong_shape", "html")}
    login(client, make_user("navigator"))
    for endpoint in endpoints.values():
        page = client.form("/sandbox/generate", {**FORM, "endpoint": str(endpoint.id)})
        html = page.get_data(as_text=True)
        assert page.status_code == 200, endpoint.name
        assert "The built-in model's answer is still shown." in html, endpoint.name
        assert "What the built-in model wrote" in html


def test_without_endpoints_there_is_no_choice(client, make_user):
    login(client, make_user("navigator"))
    assert "Also run it on a real model" not in client.get("/sandbox/generate").get_data(
        as_text=True)


def test_a_scenario_runs_on_a_real_model_too(client, session, admin, live, token, make_user):
    endpoint = add(session, admin, base_url=live.url, model="navigator-sandbox-tuned",
                   api_key=token)
    login(client, make_user("navigator"))
    page = client.form("/sandbox/scenarios/fabricated-citation", {"endpoint": str(endpoint.id)})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "What the built-in model wrote" in html and "What the real model wrote" in html
    # Activities that do not take a prompt offer no real model.
    assert "Also run it on a real model" not in client.get(
        "/sandbox/scenarios/bias-probe").get_data(as_text=True)
