"""The `hailong` command group (a FlaskGroup over create_app)."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup

from survey import create_app
from survey.commands import all_commands


def _create_app():
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app,
             help="Hài Lòng: khảo sát sự hài lòng (SIPAS) — công cụ dòng lệnh.")
def cli() -> None:
    """Hài Lòng command line."""


for _command in all_commands():
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="hailong")
