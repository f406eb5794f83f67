"""Fails when a room grows past a readable size: a module over 400 lines, a function over 60.

DESIGN: a module past ~400 lines becomes a sub-package named for what it holds, and a long
function gives its steps names. `.ci/run` runs this, so CI fails on either.
"""

import ast
import sys
from pathlib import Path

MODULE_LINES = 400
FUNCTION_LINES = 60


def functions(tree: ast.AST, prefix: str = ""):
    """Every function and method with its qualified name, nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}{node.name}", node
            yield from functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}{node.name}.")


def main(root: Path) -> int:
    modules, long_functions = [], []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MODULE_LINES:
            modules.append((lines, path))
        for name, node in functions(ast.parse(text)):
            length = node.end_lineno - node.lineno + 1
            if length > FUNCTION_LINES:
                long_functions.append((length, f"{path}:{node.lineno} {name}"))
    print(f"== Modules over {MODULE_LINES} lines: {len(modules)}")
    for lines, path in sorted(modules, reverse=True):
        print(f"{lines:6}  {path}")
    print(f"== Functions over {FUNCTION_LINES} lines: {len(long_functions)}")
    for length, where in sorted(long_functions, reverse=True):
        print(f"{length:6}  {where}")
    return 1 if modules or long_functions else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "navigator")))
