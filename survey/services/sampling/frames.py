"""Sampling frames: which recorded events a wave samples (dossiers, hospital visits or school enrolments).

A wave's frame is part of its design (`design["frame"] = {"kind": ..., "event_types": [...]}`), fixed when
the wave is created from its questionnaire's instrument: a SIPAS wave samples administrative dossiers only,
an inpatient wave only the inpatient discharges, a preschool wave only the preschool enrolments. Without
this, a procedure wave would invite patients and parents and the hospital's events would be held to the
procedure target. Waves made before frames existed have no "frame" and are dossier waves.
"""
from __future__ import annotations

from collections.abc import Mapping

from survey.models.fieldwork import DossierKind

DOSSIER = DossierKind.DOSSIER.value
HOSPITAL_VISIT = DossierKind.HOSPITAL_VISIT.value
SCHOOL_ENROLMENT = DossierKind.SCHOOL_ENROLMENT.value

# instrument → (event kind, event types it asks about); any other instrument samples dossiers.
INSTRUMENT_FRAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "health-inpatient": (HOSPITAL_VISIT, ("inpatient",)),
    "health-outpatient": (HOSPITAL_VISIT, ("outpatient",)),
    "education-preschool": (SCHOOL_ENROLMENT, ("preschool",)),
    "education-primary": (SCHOOL_ENROLMENT, ("primary",)),
    "education-secondary": (SCHOOL_ENROLMENT, ("secondary",)),
}
# The stratification an event wave gets unless told otherwise: the unit (hospital, school) × event type.
EVENT_SCHEME = "unit_type"


def frame_for_instrument(instrument: str | None) -> dict:
    """The frame a wave on this instrument samples ({"kind": "dossier"} for SIPAS and the others)."""
    kind, types = INSTRUMENT_FRAMES.get(instrument or "", (DOSSIER, ()))
    frame: dict = {"kind": kind}
    if types:
        frame["event_types"] = list(types)
    return frame


def frame_of(design: Mapping | None) -> dict:
    """A wave design's frame; a design without one (made before frames) samples dossiers."""
    return dict((design or {}).get("frame") or {"kind": DOSSIER})


def is_event_frame(frame: Mapping) -> bool:
    """True when the frame is hospital visits or school enrolments, not administrative dossiers."""
    return frame.get("kind", DOSSIER) != DOSSIER


def in_frame(frame: Mapping, kind: str | None, event_type: str | None) -> bool:
    """Whether an event of this kind and type belongs to the frame (a missing kind is a dossier)."""
    if (kind or DOSSIER) != frame.get("kind", DOSSIER):
        return False
    types = frame.get("event_types")
    return not types or event_type in types


def where(frame: Mapping, model) -> list:
    """SQL conditions on `model` (Dossier) selecting the frame's events."""
    conditions = [model.kind == frame.get("kind", DOSSIER)]
    if frame.get("event_types"):
        conditions.append(model.event_type.in_(list(frame["event_types"])))
    return conditions
