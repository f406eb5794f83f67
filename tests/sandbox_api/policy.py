"""Route policy for the /v1 API and the administrators' model-endpoint pages."""

from navigator.sandbox.models import LlmEndpoint
from tests.policy import FORBIDDEN, LOGIN, OK, Rule, everyone

# The API authenticates by bearer token only: a signed-in browser session is not enough.
UNAUTHORISED = "401"
ADMINS = {"anonymous": LOGIN, "navigator": FORBIDDEN, "trainer": FORBIDDEN,
          "manager": FORBIDDEN, "admin": OK, "other": FORBIDDEN}


def _endpoint(world):
    if "llm_endpoint" not in world.extra:
        s = world.extra["session"]
        # Port 9 (discard) refuses connections, so "test the connection" answers at once.
        endpoint = LlmEndpoint(name="Policy", base_url="http://127.0.0.1:9/v1", model="m",
                               api_key="sk-policy")
        s.add(endpoint)
        s.commit()
        world.extra["llm_endpoint"] = endpoint
    return {"endpoint_id": world.extra["llm_endpoint"].id}


POLICY = {
    "sandbox_api.models": Rule({"GET": everyone(UNAUTHORISED)}),
    "sandbox_api.chat_completions": Rule({"POST": everyone(UNAUTHORISED)}, csrf=False),
    "sandbox_api.completions": Rule({"POST": everyone(UNAUTHORISED)}, csrf=False),
    "sandbox_endpoints.endpoints": Rule({"GET": ADMINS}),
    "sandbox_endpoints.new": Rule({"GET": ADMINS, "POST": ADMINS}),
    "sandbox_endpoints.edit": Rule({"GET": ADMINS, "POST": ADMINS}, _endpoint),
    "sandbox_endpoints.check": Rule({"POST": ADMINS}, _endpoint),
    "sandbox_endpoints.delete": Rule({"POST": ADMINS}, _endpoint),
}
