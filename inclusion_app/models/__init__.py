"""The models, one module per aggregate; importing this package registers every table."""

from inclusion_app.models.messaging import InboundMessage, JobLease, OutboundMessage, ReminderCall
from inclusion_app.models.people import (
    ROLES,
    AccountLockout,
    ApiToken,
    Resident,
    Role,
    Structure,
    User,
    user_structures,
)
from inclusion_app.models.reports import ReportDirtyDay, ReportFact, ReportServed
from inclusion_app.models.scheduling import (
    HOLDING_STATUSES,
    MODES,
    NEEDS,
    STATUSES,
    Absence,
    Appointment,
    AvailabilityRule,
    Closure,
    WalkIn,
)
from inclusion_app.models.sessions import HelpSession, HelpSessionChange, UnmetRight
from inclusion_app.models.territory import District, HelpPoint, HelpPointDuplicate, help_point_counsellors

__all__ = [
    "HOLDING_STATUSES",
    "MODES",
    "NEEDS",
    "ROLES",
    "STATUSES",
    "Absence",
    "Appointment",
    "AvailabilityRule",
    "Closure",
    "Resident",
    "WalkIn",
    "AccountLockout",
    "ApiToken",
    "District",
    "HelpPoint",
    "HelpPointDuplicate",
    "Role",
    "Structure",
    "User",
    "help_point_counsellors",
    "HelpSession",
    "HelpSessionChange",
    "InboundMessage",
    "JobLease",
    "OutboundMessage",
    "ReminderCall",
    "ReportDirtyDay",
    "ReportFact",
    "ReportServed",
    "UnmetRight",
    "user_structures",
]
