"""Route policy for offline: the manifest and the service worker are public; a device's page
and a module's list of addresses are the navigator's."""

from tests.learning.policy import _module, navigators
from tests.policy import OK, Rule, everyone

POLICY = {
    "offline.service_worker": Rule({"GET": everyone(OK)}),
    "offline.manifest": Rule({"GET": everyone(OK)}),
    "offline.state": Rule({"GET": everyone(OK)}),
    "offline.index": Rule({"GET": navigators()}),
    "offline.module_files": Rule({"GET": navigators()}, _module),
}
