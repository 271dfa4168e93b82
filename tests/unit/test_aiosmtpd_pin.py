"""aiosmtpd is the version range our overrides were checked against, and the upstream code they copy is unchanged."""

from __future__ import annotations

import hashlib
import inspect
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

from quotemaild.edges import aiosmtpd_overrides as overrides
from quotemaild.edges.aiosmtpd_overrides import QuotemailLMTP, QuotemailSMTP

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text.split("+")[0])[:3])


def _upstream(name: str) -> object:
    return LMTP if name == "LMTP" else getattr(SMTP, name.removeprefix("SMTP."))


def test_installed_aiosmtpd_is_in_the_tested_range() -> None:
    """Outside the range the overrides were checked against, this fails before anything else."""
    installed = _numbers(version("aiosmtpd"))
    assert overrides.TESTED_FROM <= installed < overrides.TESTED_BEFORE, (
        f"aiosmtpd {version('aiosmtpd')} is outside the tested range; re-check edges/aiosmtpd_overrides.py"
    )


def test_pyproject_pins_the_tested_range() -> None:
    """pyproject.toml's aiosmtpd bounds are the ones the overrides module records."""
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    spec = next(d for d in deps if d.startswith("aiosmtpd"))
    lower = re.search(r">=\s*([\d.]+)", spec)
    upper = re.search(r"<\s*([\d.]+)", spec)
    assert lower is not None and upper is not None, spec
    assert (_numbers(lower[1]), _numbers(upper[1])) == (overrides.TESTED_FROM, overrides.TESTED_BEFORE)


@pytest.mark.parametrize("name", sorted(overrides.UPSTREAM_SOURCES))
def test_upstream_source_unchanged(name: str) -> None:
    """Each upstream method we override or rely on has the source we read (sha256 of inspect.getsource)."""
    source = inspect.getsource(_upstream(name))  # type: ignore[arg-type]
    assert hashlib.sha256(source.encode()).hexdigest() == overrides.UPSTREAM_SOURCES[name], (
        f"aiosmtpd's {name} changed: re-read it against edges/aiosmtpd_overrides.py, then record the new digest"
    )


_OVERRIDDEN = [
    (QuotemailSMTP, name)
    for name in ("_getaddr", "connection_made", "connection_lost", "_handle_client", "push", "smtp_DATA")
] + [(QuotemailLMTP, "smtp_DATA"), (QuotemailLMTP, "push")]


@pytest.mark.parametrize(("cls", "name"), _OVERRIDDEN, ids=[f"{c.__name__}.{n}" for c, n in _OVERRIDDEN])
def test_override_keeps_upstream_signature(cls: type[SMTP], name: str) -> None:
    """aiosmtpd calls our overrides as it calls its own methods: same parameters, same kinds."""
    ours = inspect.signature(getattr(cls, name))
    theirs = inspect.signature(getattr(SMTP, name))
    assert [(p.name, p.kind) for p in ours.parameters.values()] == [
        (p.name, p.kind) for p in theirs.parameters.values()
    ]
    assert name in overrides.__doc__  # each override is listed, with why, in the module's docstring
    assert f"SMTP.{name}" in overrides.UPSTREAM_SOURCES


def test_every_override_is_accounted_for() -> None:
    """A new override of an aiosmtpd method must be added to the pinned list (and the docstring)."""
    methods, attributes = set(), set()
    for cls in (QuotemailSMTP, QuotemailLMTP):
        for name, value in vars(cls).items():
            if name.startswith("__") or not any(name in vars(base) for base in (SMTP, LMTP)):
                continue  # our own names, and the constructor (it passes everything on)
            (methods if callable(value) else attributes).add((cls, name))
    assert methods == set(_OVERRIDDEN)
    assert attributes == {(QuotemailSMTP, "line_length_limit")}
    assert "line_length_limit" in (overrides.__doc__ or "")


def test_help_still_knows_data() -> None:
    """Our smtp_DATA carries upstream's HELP text, as upstream's does."""
    assert QuotemailSMTP.smtp_DATA.__smtp_syntax__ == SMTP.smtp_DATA.__smtp_syntax__  # type: ignore[attr-defined]
    assert QuotemailLMTP.smtp_DATA.__smtp_syntax__ == SMTP.smtp_DATA.__smtp_syntax__  # type: ignore[attr-defined]
