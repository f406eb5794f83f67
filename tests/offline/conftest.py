"""The learning tests' small course (a picture, a quiz, three languages), offered to a navigator."""

from tests.learning.conftest import app, curricula, demo, learner  # noqa: F401
