"""Fixtures: an app reading course files from this test's folder, and a course offered there."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from navigator.accounts.models import Programme, User
from navigator.learning.models import CourseVersion
from tests.conftest import login
from tests.learning.packages import import_and_offer, write_package


@pytest.fixture
def curricula(tmp_path) -> Path:
    folder = tmp_path / "curricula"
    folder.mkdir()
    return folder


@pytest.fixture
def app(app_factory, curricula):
    return app_factory(CURRICULA_PATH=str(curricula))


@dataclass
class Demo:
    """The demo course offered to a programme with one navigator."""

    programme: Programme
    navigator: User
    version: CourseVersion
    root: Path


@pytest.fixture
def demo(session, curricula, make_programme, make_user) -> Demo:
    programme = make_programme("Learners")
    navigator = make_user("navigator", programme)
    root = write_package(curricula)
    return Demo(programme, navigator, import_and_offer(session, root, programme.id), root)


@pytest.fixture
def learner(client, demo):
    """A client signed in as the demo navigator."""
    return login(client, demo.navigator)
