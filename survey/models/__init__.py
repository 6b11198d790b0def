"""All models, imported here so metadata and migrations see every table."""
from survey.models.audit import AuditLog
from survey.models.feedback import (
    CaseEvent,
    CaseRule,
    CaseRuleKind,
    CaseStatus,
    Comment,
    CommentRaw,
    CommentTag,
    ContactRequest,
    FeedbackCase,
    FeedbackCursor,
    Theme,
)
from survey.models.fieldwork import (
    ApiKey,
    ApiKeyScope,
    Dossier,
    DossierContact,
    IntakeRequest,
    Invitation,
    KioskHandoff,
    SourceSystem,
    Wave,
    WaveStratum,
)
from survey.models.publication import Job, JobState, Publication, PublicationKind
from survey.models.qd766 import DossierEvent, DossierEventKind, DossierRating, RatingLevel
from survey.models.questionnaire import Questionnaire, QuestionnaireVersion
from survey.models.registry import Agency, Device, Procedure, Sector, ServicePoint, Target
from survey.models.response import Answer, Response, ResponseDraft, ResponseScore
from survey.models.user import User, UserSession

__all__ = [
    "Agency", "Answer", "ApiKey", "ApiKeyScope", "AuditLog", "CaseEvent", "CaseRule", "CaseRuleKind", "CaseStatus",
    "Comment", "CommentRaw", "CommentTag", "ContactRequest", "Device", "Dossier", "DossierContact", "DossierEvent",
    "DossierEventKind", "DossierRating", "FeedbackCase",
    "FeedbackCursor", "IntakeRequest", "Invitation", "Job", "JobState", "KioskHandoff", "Procedure", "Publication",
    "PublicationKind", "Questionnaire", "QuestionnaireVersion", "RatingLevel", "Response", "ResponseDraft",
    "ResponseScore", "Sector",
    "ServicePoint", "SourceSystem", "Target", "Theme", "User", "UserSession", "Wave", "WaveStratum",
]
