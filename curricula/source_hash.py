"""Print the source_hash of an English course file (see curricula/README.md)."""

import hashlib
import sys


def body(text: str, markdown: bool) -> str:
    if markdown and text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            text = text[end + 5:]
    return text.strip()


for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    print(hashlib.sha256(body(text, path.endswith(".md")).encode()).hexdigest()[:12], path)
