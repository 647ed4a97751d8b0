"""Apps depend one way: config <- adr <- risks <- triggers (<- channels, comments, reviews,
riskpolicy). An earlier app never imports a later one; the later app plugs in through a
typed registry (config/registry.py) from its AppConfig.ready().

Read from the source with `ast`, so an import only a rarely-run branch reaches is found
too: every `import` statement counts, at module level (also under `if TYPE_CHECKING:`)
and deferred inside a function alike, since both make the earlier app name the later.
(String look-ups, such as config/api_urls.py's `import_module("risks.api")` discovery
loop, are composition like INSTALLED_APPS and are not import statements.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# In dependency order; a package is the longest dotted prefix of a module's name.
LAYERS = ["config", "adr", "risks", "triggers"]
LEAVES = ["triggers.channels", "comments", "reviews", "riskpolicy"]
PACKAGES = LAYERS + LEAVES

# (importing module, imported module): why this one edge is fine. Keep it empty unless
# a comment here can say why a registry would not do.
ALLOWED: dict[tuple[str, str], str] = {}


def later_than(package: str) -> set[str]:
    """The packages `package` must not import."""
    return set(PACKAGES[LAYERS.index(package) + 1 :])


def package_of(module: str) -> str | None:
    matches = [p for p in PACKAGES if module == p or module.startswith(p + ".")]
    return max(matches, key=len) if matches else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(source: str, module: str, *, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in `source`. For `from a import b`
    both `a` and `a.b` are listed (b may be a submodule); relative imports are resolved
    against `module`."""
    found: list[tuple[int, str]] = []
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def violations(package: str) -> list[str]:
    banned = later_than(package)
    out = []
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        module = module_name(path)
        if package_of(module) != package:
            continue  # a later package nested inside (triggers.channels in triggers)
        source = path.read_text(encoding="utf-8")
        for line, name in imported_names(source, module, is_package=path.name == "__init__.py"):
            if package_of(name) in banned and (module, name) not in ALLOWED:
                out.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return sorted(set(out))


@pytest.mark.parametrize("package", LAYERS)
def test_an_earlier_app_never_imports_a_later_one(package):
    assert violations(package) == []


def test_every_module_of_every_layer_is_read():
    counted = {
        package: sum(
            1 for path in (ROOT / package).rglob("*.py") if package_of(module_name(path)) == package
        )
        for package in LAYERS
    }
    assert all(count > 10 for count in counted.values()), counted
    assert "config.api.ledger_json" in {
        module_name(path) for path in (ROOT / "config").rglob("*.py")
    }


def test_the_check_finds_every_form_of_import():
    source = """
import risks.models
from adr import models
from triggers import channels
from . import sibling
from ..risks.access import readable_acceptance_q
if TYPE_CHECKING:
    from comments.models import Comment

def later():
    import reviews.services
"""
    names = {name for _line, name in imported_names(source, "config.api.ledger_json")}
    assert {
        "risks.models",
        "adr.models",
        "triggers.channels",
        "config.api.sibling",
        "config.risks.access",  # `..` from config.api is config (not a real module here)
        "comments.models",
        "reviews.services",
    } <= names
    banned = {package_of(name) for name in names} & later_than("config")
    assert banned == {"adr", "risks", "triggers", "triggers.channels", "comments", "reviews"}
    assert package_of("triggers.channels.models") == "triggers.channels"
    assert "triggers.channels" in later_than("triggers")
    assert later_than("adr") >= {"risks", "triggers", "comments", "reviews", "riskpolicy"}
