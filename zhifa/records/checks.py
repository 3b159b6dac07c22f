"""Deployment checks of the records app (`zhifa check --deploy`; ADR 0020)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Info, Tags, register


@register(Tags.security, deploy=True)
def clamd_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Uploads are virus-scanned only with ZHIFA_CLAMD_SOCKET set; set but unreachable, every upload is refused."""
    from zhifa.records import scanning

    address = scanning.configured_socket()
    if not address:
        return [Info("未配置 ZHIFA_CLAMD_SOCKET：上传的证据文件不做病毒扫描。",
                     hint="安装 clamav-daemon 并把 ZHIFA_CLAMD_SOCKET 设为其套接字路径（ADR 0020）。",
                     id="zhifa.I020")]
    if not scanning.ping(address):
        return [Error(f"ZHIFA_CLAMD_SOCKET（{address}）无法连接：在恢复之前所有上传都会被拒收。",
                      hint="检查 clamd 是否在运行、套接字路径和权限是否正确。", id="zhifa.E020")]
    return []
