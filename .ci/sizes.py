"""Reports rooms grown past a readable size: modules over 400 lines, functions over 60.

DESIGN: a module past ~400 lines becomes a sub-package named for what it holds. This only
prints (it never fails CI): many modules are still over, and are split one by one.
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


def main(root: Path) -> None:
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


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "navigator"))
