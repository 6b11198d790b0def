"""The public scoreboard (/cong-khai): what a province publishes to everyone, read from publications only.

    catalogue(session) -> [Entry]                  every stored version, newest wave first (no thawing)
    choose(entries, show_provisional, wave, version) -> Entry | None
    board(session, entry) -> Board                 the version's cells as the public sees them (memoised)
    opendata.as_json(board) / opendata.as_csv(board)   the open-data files (docs/open-data.md)

A cell that the engine flags (fewer than MIN_CELL_ANSWERS answers, too high a relative SE, no interval)
is "insufficient": it carries no estimate, interval, count, status or rank anywhere the public can see.
Nothing here reads answers, responses or the live registry: only the publication table.
"""
from survey.services.scoreboard.board import Board, PublicCell, board, reset_caches
from survey.services.scoreboard.catalogue import Entry, catalogue, choose, versions_of, waves

__all__ = ["Board", "Entry", "PublicCell", "board", "catalogue", "choose", "reset_caches", "versions_of",
           "waves"]
