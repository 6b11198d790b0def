"""CLI command groups shared by several features (each feature attaches its own commands), and how they write.

Every command that changes the database does it in one unit of work through `write` (run_write:
one commit, rolled back on any error, transient failures retried). Files a command produces go
through `staged`, so that they appear only once the rows they describe are committed.
"""
from __future__ import annotations

import errno
import importlib
import os
import pkgutil
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from survey.services.common.txn import run_write

T = TypeVar("T")

import_cli = AppGroup("import", help="Nhập dữ liệu từ tệp CSV (registry, lineage, dossiers, events).")
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


def database_error(exc: SQLAlchemyError) -> str:
    """A one-line explanation of a database failure for the terminal (no traceback)."""
    reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0][:200]
    hint = ""
    if "no such table" in reason or ("relation" in reason and "does not exist" in reason):
        hint = " Đã chạy `hailong db upgrade` chưa? Has the schema been created?"
    return f"Lỗi cơ sở dữ liệu, không ghi gì ({exc.__class__.__name__}: {reason}). Database error.{hint}"


def write(unit: Callable[[], T], *, conflicts: bool = False) -> T:
    """A command's unit of work through run_write; a database failure becomes a clear error, not a traceback."""
    try:
        return run_write(unit, conflicts=conflicts)
    except SQLAlchemyError as exc:
        raise click.ClickException(database_error(exc)) from exc


@contextmanager
def staged(target: str | None, *, folder: bool = True) -> Iterator[Callable[[], str | None]]:
    """Write a command's files into a hidden folder beside `target`; move them there only when the block succeeds.

    The block calls the function it is given for an empty staging folder (again on each retry of
    its unit, so a rerun starts clean). `folder`: `target` is a folder and everything staged moves
    into it; else `target` is one file, staged under its own name. Run the commit inside the block:
    when anything fails the staged files are deleted, so a failed command leaves neither rows nor files.
    No `target` (no --out given): nothing is staged and the function returns None.
    """
    if target is None:
        yield lambda: None
        return
    target = os.path.abspath(target)
    try:
        # What would stop the files moving into place is refused now, before anything is stored.
        if folder and os.path.exists(target) and not os.path.isdir(target):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), target)
        if not folder and os.path.isdir(target):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), target)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        stage = tempfile.mkdtemp(prefix=".hailong-", dir=os.path.dirname(target))
    except OSError as exc:
        raise click.ClickException(_cannot_write(target, exc)) from exc

    def fresh() -> str:
        shutil.rmtree(stage, ignore_errors=True)
        os.makedirs(stage)
        return stage

    try:
        yield fresh
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise click.ClickException(_cannot_write(target, exc)) from exc
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    try:
        _publish(stage, target, folder)
    except OSError as exc:  # committed already: keep the files (they may hold the only copy of new tokens)
        raise click.ClickException(f"Đã lưu vào cơ sở dữ liệu nhưng không chuyển được tệp vào {target} "
                                   f"({exc.strerror or exc}); các tệp còn ở {stage}.") from exc
    shutil.rmtree(stage, ignore_errors=True)


def _cannot_write(target: str, exc: OSError) -> str:
    return f"Không ghi được vào {target} ({exc.strerror or exc}); không lưu gì."


def _publish(stage: str, target: str, folder: bool) -> None:
    """Move what was staged into place (renames within one folder: never half a file)."""
    if not folder:
        staged_file = os.path.join(stage, os.path.basename(target))
        if os.path.exists(staged_file):
            os.replace(staged_file, target)
        return
    names = sorted(os.listdir(stage))
    if names:
        os.makedirs(target, exist_ok=True)
    for name in names:
        os.replace(os.path.join(stage, name), os.path.join(target, name))
