"""The instructions corpus's chat format, which scenarios and the third training stage share."""

from __future__ import annotations


def chat_prompt(prompt: str) -> str:
    """Wrap a question in the format the instructions corpus uses, unless it already is."""
    if "Assistant:" in prompt:
        return prompt
    return f"User: {prompt.strip()} || Assistant:"
