"""System checks of the records app (`zhifa check [--deploy]`, and every command that runs checks; ADR 0017, 0020).

Tamper protection (issue 9 defect 3, ADR 0017) is refused at Error level under production settings
(`ZHIFA_PRODUCTION`), so `zhifa check --deploy` and `zhifa run` stop with the reason:

- zhifa.E017: no witness and no checkpoint export folder, or one that lies inside the data folder (checkpoints that
  never leave the machine cannot show a truncated tail or a re-signed history);
- zhifa.E018: the ledger signing key file lies inside the data folder (a copy of the data is then a copy of the key);
- zhifa.E019: the key file is readable or writable by anyone but its owner (not 0600), or the key descriptor is not
  open;
- zhifa.E021 (deploy): the database's own integrity check fails (defect 11).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from django.conf import settings
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


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def tamper_problems() -> list[CheckMessage]:
    """The production rules of ADR 0017, whatever the settings module (the check below applies them in production)."""
    data_dir = Path(settings.DATA_DIR)
    problems: list[CheckMessage] = []
    witness = str(settings.ZHIFA_WITNESS_STATE_DIR or "")
    export = str(settings.ZHIFA_CHECKPOINT_EXPORT_DIR or "")
    if not witness and not export:
        problems.append(Error(
            "未配置见证方（ZHIFA_WITNESS_STATE_DIR）或检查点外送目录（ZHIFA_CHECKPOINT_EXPORT_DIR）：账本尾部被截短或"
            "持有签名密钥者改写历史都无法被发现，生产环境拒绝启动。",
            hint="把 ZHIFA_CHECKPOINT_EXPORT_DIR 设为挂载自本机以外（如司法局的共享目录、一次写入存储）的目录，"
                 "或配置见证方（ADR 0011、0017）。", id="zhifa.E017"))
    for name, value in (("ZHIFA_WITNESS_STATE_DIR", witness), ("ZHIFA_CHECKPOINT_EXPORT_DIR", export)):
        if value and _inside(Path(value), data_dir):
            problems.append(Error(
                f"{name}（{value}）位于数据目录 {data_dir} 之内：检查点没有离开本机，随数据一起可被改写或回退。",
                hint="改为另一台机器或另一安全域挂载的目录。", id="zhifa.E017"))
    if export and not _inside(Path(export), data_dir):
        folder = Path(export)
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            problems.append(Error(f"检查点外送目录 {export} 不存在或不可写。",
                                  hint="创建该目录并授予运行本系统的用户写权限。", id="zhifa.E017"))
    fd = settings.ZHIFA_LEDGER_KEY_FD
    if fd is not None:
        try:
            os.fstat(int(fd))
        except OSError:
            problems.append(Error(f"ZHIFA_LEDGER_KEY_FD={fd}：该文件描述符未打开，读不到账本签名密钥。",
                                  hint="由进程管理器（如 systemd）把密钥文件以该描述符传入。", id="zhifa.E019"))
        return problems
    key = Path(settings.ZHIFA_LEDGER_KEY_FILE)
    if _inside(key, data_dir):
        problems.append(Error(
            f"账本签名密钥 {key} 位于数据目录 {data_dir} 之内：拿到数据的人也就拿到了密钥，可以重新签名被改写的历史。",
            hint="把 ZHIFA_LEDGER_KEY_FILE 设为数据目录以外、只有本系统用户可读的路径（权限 0600），"
                 "或用 ZHIFA_LEDGER_KEY_FD 从进程管理器传入。", id="zhifa.E018"))
    if key.exists():
        mode = stat.S_IMODE(key.stat().st_mode)
        if mode & 0o077:
            problems.append(Error(f"账本签名密钥 {key} 的权限是 {mode:04o}，应为 0600（只有属主可读写）。",
                                  hint=f"chmod 600 {key}", id="zhifa.E019"))
    return problems


@register(Tags.security)
def tamper_protection(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Production only: refuse to run without off-box checkpoints and with the log key beside the data."""
    if not settings.ZHIFA_PRODUCTION:
        return []
    return tamper_problems()


@register("integrity", deploy=True)
def database_integrity(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """`check --deploy` (and `zhifa run`, through `dbcheck.integrity_problems`): the database's own integrity
    check, SQLite's `PRAGMA quick_check` (defect 11)."""
    from zhifa.records import dbcheck

    return [Error(p, hint="停止服务，用 zhifa restore 从最近的完好备份恢复（ADR 0017）。", id="zhifa.E021")
            for p in dbcheck.integrity_problems()]


@register(Tags.security, deploy=True)
def personal_data_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """ADR 0018: the vault's master key file exists, is 0600, and does not sit inside the data folder (a copy of
    the data folder would then carry the key beside the ciphertext)."""
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.ZHIFA_PII_KEY_FILE)
    if not path.exists():
        if settings.ZHIFA_PII_KEY_REQUIRED:
            return [Error(f"个人信息主密钥文件 {path} 不存在。", hint="生成 32 字节随机密钥（十六进制）并设为 0600（ADR 0018）。",
                          id="zhifa.E022")]
        return []
    problems: list[CheckMessage] = []
    if path.stat().st_mode & 0o077:
        problems.append(Error(f"个人信息主密钥文件 {path} 的权限为 {oct(path.stat().st_mode & 0o777)}，应为 0600。",
                              id="zhifa.E022"))
    data_dir = Path(settings.DATA_DIR).resolve()
    if path.resolve().is_relative_to(data_dir):
        problems.append(Warning_(f"个人信息主密钥文件 {path} 位于数据目录 {data_dir} 内：备份或复制数据目录会把密钥和密文放在一起。",
                                 hint="把 ZHIFA_PII_KEY_FILE 指向数据目录之外（ADR 0018）。", id="zhifa.W022"))
    return problems
