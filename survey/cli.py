"""The `hailong` command group (a FlaskGroup over create_app)."""
from __future__ import annotations

import importlib
import pkgutil

import click
from flask.cli import FlaskGroup

from survey import create_app
from survey.commands import import_cli, seed_cli


def _create_app():
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, help="Hài Lòng: khảo sát sự hài lòng (SIPAS) — công cụ dòng lệnh.")
def cli() -> None:
    """Hài Lòng command line."""


cli.add_command(import_cli)
cli.add_command(seed_cli)

# Every module in survey.commands may define `commands` (a list of click commands/groups) to add.
import survey.commands as _pkg  # noqa: E402

for _info in pkgutil.iter_modules(_pkg.__path__):
    _mod = importlib.import_module(f"survey.commands.{_info.name}")
    for _cmd in getattr(_mod, "commands", []):
        cli.add_command(_cmd)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="hailong")
