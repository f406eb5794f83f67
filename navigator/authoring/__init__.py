"""Trainer authoring: drafts and published versions, lessons, quizzes, translations, packages."""
