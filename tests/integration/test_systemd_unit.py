"""systemd/quotemaild.service is a valid, hardened Type=notify unit (systemd-analyze verify)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.proc import skip_or_fail

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "quotemaild.service"
EXEC_START = "/usr/bin/quotemaild --config /etc/quotemaild/config.toml serve"


def _settings(text: str) -> dict[str, list[str]]:
    """Unit file key -> values (a key may repeat), comments and section headers dropped."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;[" or "=" not in line:
            continue
        key, value = line.split("=", 1)
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_systemd_analyze_verify_is_clean(tmp_path):
    """systemd-analyze verify exits 0 and says nothing about the unit (ExecStart pointed at a stub)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        skip_or_fail("systemd-analyze not installed (apt-get install systemd)")
    stub = tmp_path / "quotemaild"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    text = UNIT.read_text()
    assert f"ExecStart={EXEC_START}\n" in text
    unit = tmp_path / "quotemaild.service"
    unit.write_text(text.replace("ExecStart=/usr/bin/quotemaild ", f"ExecStart={stub} "))
    res = subprocess.run([analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60)
    output = res.stdout + res.stderr
    about_unit = [ln for ln in output.splitlines() if "quotemaild" in ln]
    assert res.returncode == 0, output
    assert about_unit == [], output


def test_unit_is_notify_with_watchdog_and_state_dirs():
    """The unit declares the service contract the daemon implements."""
    s = _settings(UNIT.read_text())
    expected = {
        "Type": ["notify"],
        "NotifyAccess": ["main"],
        "WatchdogSec": ["30"],
        "ExecStart": [EXEC_START],
        "ExecReload": ["/bin/kill -HUP $MAINPID"],
        "Restart": ["on-failure"],
        "DynamicUser": ["yes"],
        "StateDirectory": ["quotemaild"],
        "RuntimeDirectory": ["quotemaild"],
        "LogsDirectory": ["quotemaild"],
        "ConfigurationDirectory": ["quotemaild"],
    }
    for key, value in expected.items():
        assert s.get(key) == value, key


@pytest.mark.parametrize(
    "key, value",
    [
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("AmbientCapabilities", ""),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("RestrictNamespaces", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("SystemCallFilter", "@system-service"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectControlGroups", "yes"),
    ],
)
def test_unit_hardening(key, value):
    """Each hardening setting is present with the intended value."""
    assert value in _settings(UNIT.read_text()).get(key, []), key


def test_stop_timeout_exceeds_the_drain_grace_period():
    """systemd waits longer than the daemon's 30 s shutdown grace before SIGKILL."""
    (timeout,) = _settings(UNIT.read_text())["TimeoutStopSec"]
    assert int(timeout.removesuffix("s")) > 30
