"""Deployment checks of the records app (`zhifa check --deploy`; ADR 0020)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Info, Tags, register
from django.core.checks import Warning as Warning_


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


@register(Tags.security, deploy=True)
def personal_data_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """ADR 0018: the vault's master key file exists, is 0600, and does not sit inside the data folder (a copy of
    the data folder would then carry the key beside the ciphertext)."""
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.ZHIFA_PII_KEY_FILE)
    if not path.exists():
        if getattr(settings, "ZHIFA_PII_KEY_REQUIRED", False):
            return [Error(f"个人信息主密钥文件 {path} 不存在。", hint="生成 32 字节随机密钥（十六进制）并设为 0600（ADR 0018）。",
                          id="zhifa.E018")]
        return []
    problems: list[CheckMessage] = []
    if path.stat().st_mode & 0o077:
        problems.append(Error(f"个人信息主密钥文件 {path} 的权限为 {oct(path.stat().st_mode & 0o777)}，应为 0600。",
                              id="zhifa.E018"))
    data_dir = Path(settings.DATA_DIR).resolve()
    if path.resolve().is_relative_to(data_dir):
        problems.append(Warning_(f"个人信息主密钥文件 {path} 位于数据目录 {data_dir} 内：备份或复制数据目录会把密钥和密文放在一起。",
                                 hint="把 ZHIFA_PII_KEY_FILE 指向数据目录之外（ADR 0018）。", id="zhifa.W018"))
    return problems
