"""The models, one module per aggregate; importing this package registers every table."""

from inclusion_app.models.people import (
    ROLES,
    AccountLockout,
    ApiToken,
    Role,
    Structure,
    User,
    user_structures,
)
from inclusion_app.models.territory import District, HelpPoint, HelpPointDuplicate, help_point_counsellors

__all__ = [
    "ROLES",
    "AccountLockout",
    "ApiToken",
    "District",
    "HelpPoint",
    "HelpPointDuplicate",
    "Role",
    "Structure",
    "User",
    "help_point_counsellors",
    "user_structures",
]
