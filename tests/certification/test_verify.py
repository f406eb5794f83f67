"""The public verification page: each status, unknown codes, the form, JSON, rate limits."""

from datetime import timedelta

from navigator.accounts.services import principal
from navigator.certification import codes, manage

CODE_LIKE = "ABCDE-FGH23"


def _url(cert) -> str:
    return f"/verify/{codes.display(cert.code)}"


def test_a_valid_certificate_needs_no_sign_in(client, certified):
    response = client.get(_url(certified))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This certificate is valid." in html
    for shown in ("Amina Yusuf", "Certified tester", "Riverside", codes.display(certified.code)):
        assert shown in html
    assert "navigator" not in html.split("<main", 1)[1].split("</main>")[0].lower().replace(
        "navigator is open-source", "")  # no e-mail address or account name
    assert '<meta name="robots" content="noindex">' in html


def test_in_the_visitors_language(client, certified):
    html = client.get(_url(certified), headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'dir="rtl"' in html and "مختبر معتمد" in html


def test_expired_revoked_and_replaced(client, session, setup, certified, make_user):
    certified.expires_on = certified.issued_on - timedelta(days=1)
    session.commit()
    assert "This certificate has expired." in client.get(_url(certified)).get_data(as_text=True)
    manager = principal(session, make_user("manager", setup.programme))
    new = manage.reissue(session, manager, certified.id, printed_name="Amina B. Yusuf",
                         locale="en", reason="Name corrected.")
    session.commit()
    html = client.get(_url(certified)).get_data(as_text=True)
    assert "replaced by a newer one" in html and codes.display(new.code) not in html
    manage.revoke(session, manager, new.id, "Answers were copied.")
    session.commit()
    html = client.get(_url(new)).get_data(as_text=True)
    assert "was revoked" in html and "Answers were copied." not in html


def test_unknown_and_malformed_codes_get_the_same_plain_not_found(client, certified):
    near = certified.code[:-1] + ("A" if certified.code[-1] != "A" else "B")
    answers = [client.get(f"/verify/{code}") for code in (CODE_LIKE, near, "not-a-code",
                                                          "%3Cscript%3E")]
    assert {r.status_code for r in answers} == {404}
    # The page's main part is the same for unknown, near and malformed codes (the language
    # switcher below it returns to the address asked for).
    bodies = {r.get_data(as_text=True).split("<main", 1)[1].split("</main>")[0] for r in answers}
    assert len(bodies) == 1
    assert "No certificate has this code." in bodies.pop()


def test_the_form_normalises_what_people_type(client, certified):
    typed = " " + certified.code[:5].lower() + " - " + certified.code[5:].lower() + " "
    response = client.get("/verify/", query_string={"code": typed})
    assert response.status_code == 303 and response.headers["Location"].endswith(_url(certified))
    assert client.get(f"/verify/{certified.code.lower()}").status_code == 200
    assert client.get("/verify/").status_code == 200
    empty = client.get("/verify/", query_string={"code": ""})
    assert empty.status_code == 400 and "This field is required." in empty.get_data(as_text=True)
    assert client.get("/verify/", query_string={"code": "O0O0O-I1I1I"}).status_code == 404


def test_json_for_machines(client, certified):
    data = client.get(_url(certified) + ".json").get_json()
    assert data == {"code": codes.display(certified.code), "status": "valid",
                    "name": "Amina Yusuf", "track": "Certified tester", "programme": "Riverside",
                    "issued_on": certified.issued_on.isoformat(),
                    "expires_on": certified.expires_on.isoformat(), "revoked_on": None}
    negotiated = client.get(_url(certified), headers={"Accept": "application/json"})
    assert negotiated.get_json()["status"] == "valid"
    missing = client.get(f"/verify/{CODE_LIKE}.json")
    assert missing.status_code == 404 and missing.get_json() == {"status": "not_found"}


def test_rate_limited(app_factory, setup, certified):
    client = app_factory(RATELIMIT_ENABLED=True).test_client()
    statuses = [client.get(f"/verify/{CODE_LIKE}").status_code for _ in range(31)]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429
    assert client.get(_url(certified) + ".json").status_code == 429  # one limit for all
