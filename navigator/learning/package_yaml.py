"""A course package's YAML: line-aware reading, file:line problems, the canonical style."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from navigator.i18n import CODES


class LineDict(dict):
    """A YAML mapping that remembers the line of each key."""

    lines: dict


# libyaml's parser when the system has it (PyYAML's wheels bundle it): much faster, same nodes.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):
    """Safe YAML that records line numbers for error messages."""


def _construct_mapping(loader, node):
    value = LineDict(loader.construct_mapping(node, deep=True))
    value.lines = {loader.construct_object(k): k.start_mark.line + 1 for k, _v in node.value}
    value.line = node.start_mark.line + 1
    return value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Dumper(yaml.SafeDumper):
    """Safe YAML output that also writes the loader's line-aware mappings."""


def _represent_list(dumper, data):
    # Short lists of plain values (option ids, answers) read best on one line: [a, b, c].
    flow = all(isinstance(item, (str, int, float, bool)) for item in data) and \
        sum(len(str(item)) + 2 for item in data) < 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(LineDict, yaml.representer.SafeRepresenter.represent_dict)
_Dumper.add_representer(list, _represent_list)


@dataclass
class Problem:
    """A problem found in a package, reported as file:line: message."""

    path: Path
    line: int
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


def _read_yaml(path: Path, problems: list[Problem]):
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except FileNotFoundError:
        problems.append(Problem(path, 1, "file is missing"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(path, mark.line + 1 if mark else 1, f"invalid YAML: {exc}"))
    except UnicodeDecodeError:
        problems.append(Problem(path, 1, "file is not UTF-8 text"))
    return None


def _line(data, key) -> int:
    return getattr(data, "lines", {}).get(key, getattr(data, "line", 1))


def _locale_files(folder: Path, stem: str) -> dict[str, Path]:
    """Other-locale companions of a file: stem.<locale>.yaml."""
    found = {}
    for path in folder.glob(f"{stem}.*.yaml"):
        locale = path.name[len(stem) + 1:-len(".yaml")]
        found[locale] = path
    return found


def _check_locale(locale: str, path: Path, problems: list[Problem]) -> bool:
    if locale not in CODES:
        problems.append(Problem(path, 1, f"unknown locale {locale!r}; use one of "
                                         f"{', '.join(CODES)}"))
        return False
    return True


def dump_yaml(data) -> str:
    """YAML in the package's canonical style: keys in order, Unicode as is, wide lines."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100,
                     default_flow_style=False)
