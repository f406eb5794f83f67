"""Courses, modules, lessons, quizzes and progress; course packages (curricula/)."""
