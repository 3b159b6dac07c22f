"""Staff roles. A user may hold several roles inside the one agency they belong to."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "officer", _("执法人员")
    UNIT_HEAD = "unit_head", _("承办机构负责人")
    LEGAL_REVIEWER = "legal_reviewer", _("法制审核人员")
    AGENCY_HEAD = "agency_head", _("机关负责人")
    DISCLOSURE_OFFICER = "disclosure_officer", _("公示管理员")
    ARCHIVIST = "archivist", _("档案管理员")
    AGENCY_ADMIN = "agency_admin", _("本机关业务管理员")
    SUPERVISOR = "supervisor", _("监督人员")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")


# Who may write which part of the registry (docs/decisions/0004-roles-and-registry-permissions.md).
REGISTRY_EDITORS = frozenset({Role.AGENCY_ADMIN, Role.LEGAL_REVIEWER, Role.SYSTEM_ADMIN})
STAFF_EDITORS = frozenset({Role.AGENCY_ADMIN, Role.SYSTEM_ADMIN})
LEGALITY_REVIEWERS = frozenset({Role.LEGAL_REVIEWER})
PUBLISHERS = frozenset({Role.DISCLOSURE_OFFICER, Role.AGENCY_ADMIN})
READ_ONLY_ROLES = frozenset({Role.SUPERVISOR})
