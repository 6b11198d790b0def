"""Publications: every published number is a frozen, versioned, reproducible record (DESIGN §7b).

    store(session, actor, wave, table, frame, inputs, kind=FINAL, reason="") -> Publication
    current(session, wave_id) -> PublishedView | None     the latest final version, else provisional
    versions(session, wave_id) / get(session, id)          every version / one version
    frame(session, view) -> the frozen per-respondent frame (memoised: versions never change)

What is computed and frozen (the wave's table, frame and inputs) is assembled by
survey.services.workspace.publishing, which the CLI, the admin page and the demo call.
"""
from survey.services.publications.records import (
    METHOD_VERSION,
    PublicationError,
    PublishedView,
    current,
    frame,
    get,
    reset_caches,
    store,
    versions,
)

__all__ = ["METHOD_VERSION", "PublicationError", "PublishedView", "current", "frame", "get", "reset_caches",
           "store", "versions"]
