"""Plugin discovery, the one way IMAS finds its plugins (alert sources, notification channels,
run actions): every subclass of a base class, defined in a module of a package, that names its
own `kind`. Adding a plugin is adding one module to the package."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any

NOT_PLUGINS = frozenset({"base", "registry"})


def _subclasses(cls: type[Any]) -> list[type[Any]]:
    found: list[type[Any]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def discover(package: ModuleType, base: type[Any], what: str) -> dict[str, type[Any]]:
    """kind -> class, sorted by kind, after importing every module of `package` (`what` names
    the plugins in the error raised when two claim the same kind)."""
    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in NOT_PLUGINS:
            importlib.import_module(f"{package.__name__}.{module.name}")
    found: dict[str, type[Any]] = {}
    for cls in _subclasses(base):
        kind = cls.__dict__.get("kind")
        if isinstance(kind, str):
            if kind in found:
                raise RuntimeError(f"two {what} claim the kind {kind!r}")
            found[kind] = cls
    return dict(sorted(found.items()))
