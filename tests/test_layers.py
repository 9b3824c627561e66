"""README's Architecture rules: nothing imports upwards, the database stays in the service layer."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRIVATE = ("actions.service.core.db", "actions.service.core.models")
SETTINGS_MODULE = "actions/service/core/settings.py"  # the one reader of the product's environment
ENVIRONMENT_READERS = ("environ", "environb", "getenv", "getenvb", "putenv", "unsetenv")


def imports(path: Path) -> Iterator[str]:
    """Every module a file imports (`from a.b import c` gives a.b and a.b.c)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def files(*patterns: str) -> List[Path]:
    return sorted(path for pattern in patterns for path in ROOT.glob(pattern) if "__pycache__" not in path.parts)


def offending(paths: List[Path], forbidden: Tuple[str, ...]) -> List[str]:
    return [f"{path.relative_to(ROOT)} imports {module}" for path in paths for module in imports(path)
            if any(module == prefix or module.startswith(prefix + ".") for prefix in forbidden)]


def actions_modules() -> Tuple[str, ...]:
    """The rasa-sdk action modules (actions/*.py), which only Rasa's action server may import."""
    return tuple(f"actions.{path.stem}" for path in files("actions/*.py") if path.stem != "__init__")


def test_only_the_service_layer_opens_the_database():
    outside = files("bot/**/*.py", "voice/**/*.py", "actions/*.py", "scripts/**/*.py")
    assert offending(outside, PRIVATE) == []


def test_the_service_layer_knows_nothing_of_rasa_channels_voice_or_actions():
    forbidden = ("rasa", "rasa_sdk", "sanic", "aiogram", "bot", "voice") + actions_modules()
    assert offending(files("actions/service/**/*.py"), forbidden) == []


@pytest.mark.parametrize("layer, forbidden", [
    ("actions/*.py", ("bot", "voice")),
    ("voice/**/*.py", ("bot",)),
])
def test_actions_and_voice_do_not_import_the_layers_beside_them(layer, forbidden):
    assert offending(files(layer), forbidden) == []


def test_channels_and_voice_do_not_import_rasa_sdk_actions():
    assert offending(files("bot/**/*.py", "voice/**/*.py"), actions_modules()) == []


def project_modules() -> Dict[str, Path]:
    """Every module of the product by its dotted name (packages by their own name)."""
    modules = {}
    for path in files("actions/**/*.py", "bot/**/*.py", "voice/**/*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_cycles() -> List[List[str]]:
    """The cycles of the project's import graph, lazy imports inside functions included."""
    modules = project_modules()
    graph = {name: sorted({m for m in imports(path) if m in modules and m != name}) for name, path in modules.items()}
    cycles, done, stack = [], set(), []

    def visit(name: str) -> None:
        stack.append(name)
        for target in graph[name]:
            if target in stack:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in done:
                visit(target)
        stack.pop()
        done.add(name)

    for name in sorted(graph):
        if name not in done:
            visit(name)
    return cycles


def test_no_import_cycle_among_the_projects_modules():
    assert import_cycles() == []


def environment_reads(path: Path) -> Iterator[str]:
    """Where a file touches the process environment: os.environ / os.getenv, or a .env loader."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT_READERS:
            yield f"{path.relative_to(ROOT)}:{node.lineno} {node.attr}"
        elif isinstance(node, ast.ImportFrom) and node.module in ("os", "dotenv"):
            yield from (f"{path.relative_to(ROOT)}:{node.lineno} {node.module}.{alias.name}" for alias in node.names
                        if node.module == "dotenv" or alias.name in ENVIRONMENT_READERS)


def test_only_the_settings_module_reads_the_environment():
    readers = [read for path in files("actions/**/*.py", "bot/**/*.py", "voice/**/*.py", "scripts/**/*.py")
               if path.relative_to(ROOT).as_posix() != SETTINGS_MODULE for read in environment_reads(path)]
    assert readers == []
