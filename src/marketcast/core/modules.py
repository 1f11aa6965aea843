"""Finding the modules of a package, for the entry points that collect what each module declares."""

import importlib
import pkgutil
import sys
from collections.abc import Iterator
from types import ModuleType


def submodules(package: str) -> Iterator[ModuleType]:
    """Every public module of the package named `package`, in name order; callable from the package's own `__init__`
    or from one of its modules while they are being imported."""
    found = sys.modules.get(package) or importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(found.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):  # __main__ and private modules are not declarations
            continue
        yield importlib.import_module(f"{package}.{info.name}")
