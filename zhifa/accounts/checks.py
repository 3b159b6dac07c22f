"""Start-up checks of the accounts app (issue 9 defect 2, ADR 0016).

Under production settings (ZHIFA_PRODUCTION) the system refuses to start while any demo account exists: the demo
county's password is printed in the README, so every such account that can still sign in is an open door
(a deactivated one cannot: `zhifa deactivate_user` also ends its sessions and tokens). `zhifa run` runs the checks
before serving; `zhifa check` shows them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.db import DatabaseError


@register("security")
def demo_accounts_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.ZHIFA_PRODUCTION:
        return []
    from zhifa.accounts.models import User

    try:
        names = list(User.objects.filter(is_demo=True, is_active=True).order_by("username").values_list("username", flat=True)[:6])
    except DatabaseError:  # no tables yet (a fresh database before `migrate`): nothing to refuse
        return []
    if not names:
        return []
    shown = "、".join(names[:5]) + ("等" if len(names) > 5 else "")
    return [Error(
        f"生产配置下数据库中存在未停用的演示账号（{shown}），其密码已公开，拒绝启动。",
        hint="生产环境不得载入演示数据：请使用未载入演示数据的新数据库，用 `zhifa first_admin` 创建初始管理员；"
             "或逐个停用演示账号（`zhifa deactivate_user <用户名>`）。",
        id="zhifa.E016",
    )]
