"""CLI command groups shared by several features (each feature attaches its own commands)."""
from __future__ import annotations

import importlib
import pkgutil

from flask.cli import AppGroup

import_cli = AppGroup("import", help="Nhập dữ liệu từ tệp CSV (registry, dossiers).")
seed_cli = AppGroup("seed", help="Tạo dữ liệu mẫu (tỉnh demo).")


def all_commands() -> list:
    """The shared groups plus every `commands` list defined by a module in survey.commands."""
    found = [import_cli, seed_cli]
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for command in getattr(module, "commands", []):
            if command not in found:
                found.append(command)
    return found
