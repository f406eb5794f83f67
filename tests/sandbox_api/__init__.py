"""Tests of the sandbox's OpenAI-compatible API, client and endpoint settings."""
