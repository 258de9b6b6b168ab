"""All models, imported so that Base.metadata knows every table."""
from hub.models.audit import AuditEvent
from hub.models.dispatch import DispatchAssignment, DispatchField, DispatchRequest
from hub.models.index_changes import ExpertChange
from hub.models.jobs import Job
from hub.models.engagements import Engagement, EngagementField, EngagementStage, Evaluation, EvaluationSkill
from hub.models.matching import Embedding, RankerWeights
from hub.models.needs import Need, NeedField, NeedRole, NeedShare, NeedSkill, NeedStage, ShortlistEntry
from hub.models.organizations import Organization
from hub.models.people import (ExpertField, ExpertProfile, ExpertRole, ExpertScheme, ExpertSkill, ExpertStage,
                               ExpertTravelPrefecture, Notification, User)
from hub.models.roster import ExpertRosterSource, RosterUpload
from hub.models.tokens import ApiToken
from hub.models import changes  # noqa: F401,E402  (the before_flush event that marks experts changed)

__all__ = [
    "ApiToken", "AuditEvent", "DispatchAssignment", "DispatchField", "DispatchRequest", "Embedding", "Engagement",
    "EngagementField", "EngagementStage", "Evaluation", "EvaluationSkill", "ExpertChange", "ExpertField",
    "ExpertProfile", "ExpertRosterSource", "ExpertRole", "ExpertScheme", "ExpertSkill", "ExpertStage", "ExpertTravelPrefecture", "Job",
    "Need", "NeedField", "NeedRole", "NeedShare", "NeedSkill", "NeedStage", "Notification", "Organization",
    "RankerWeights", "RosterUpload", "ShortlistEntry", "User",
]
