"""Configuration: one TOML file parsed once into frozen dataclasses and passed in explicitly.

Unknown keys and bad values are refused with a `ConfigError` naming the key (`smtp.listen`), so a
typo never silently falls back to a default. Relative paths are resolved against the directory of
the config file, so `make run` works from any working directory.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quotemaild.errors import ConfigError

MiB = 1024 * 1024


@dataclass(frozen=True)
class Listen:
    """Where a listener binds: `host:port`, `[v6]:port` or `unix:/path`."""

    host: str = "127.0.0.1"
    port: int = 0
    unix_path: str | None = None

    def __str__(self) -> str:
        if self.unix_path:
            return f"unix:{self.unix_path}"
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class SmtpConfig:
    listen: Listen = Listen("127.0.0.1", 2525)
    hostname: str = "localhost"
    timeout: float = 300.0  # aiosmtpd shares it between receiving DATA and our commit
    max_recipients: int = 100
    max_commands: int = 200
    max_header_bytes: int = 100 * 1024


@dataclass(frozen=True)
class MailConfig:
    domain: str = "proposals.example.com"
    max_message_size: int = 50 * MiB


@dataclass(frozen=True)
class StoreConfig:
    url: str = ""
    busy_timeout: float = 5.0  # seconds SQLite waits on a lock before we answer 451
    commit_batch_max: int = 256
    commit_delay: float = 0.0  # extra seconds a batch waits to grow; 0 = commit what is queued


@dataclass(frozen=True)
class SecurityConfig:
    secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class OutboundConfig:
    """Where and how outgoing mail leaves: a smarthost (the company MTA), with retries."""

    smarthost: Listen | None = None  # None: mail stays queued until one is configured
    tls: str = "none"  # none, starttls, ssl
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 60.0
    retry_initial: float = 300.0
    retry_max: float = 3600.0
    give_up_after: float = 5 * 24 * 3600.0
    poll_interval: float = 30.0  # how often queued mail is looked at without a wake-up
    public_url: str = ""  # base of the accept/reject links in quote mails


@dataclass(frozen=True)
class LogConfig:
    level: str = "info"
    format: str = "json"


@dataclass(frozen=True)
class Config:
    mail: MailConfig
    store: StoreConfig
    security: SecurityConfig
    smtp: SmtpConfig = SmtpConfig()
    outbound: OutboundConfig = OutboundConfig()
    log: LogConfig = LogConfig()
    state_dir: Path = Path("var")
    source: Path | None = None


_LOG_LEVELS = ("debug", "info", "warning", "error")
_LOG_FORMATS = ("json", "console")


def load_config(path: str | Path) -> Config:
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("file", f"{p} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("file", f"{p} is not valid TOML: {exc}") from exc
    return config_from_dict(raw, base_dir=p.resolve().parent, source=p)


def config_from_dict(
    raw: Mapping[str, Any], base_dir: Path | None = None, source: Path | None = None
) -> Config:
    """Build a Config from a parsed TOML mapping; tests call this with a plain dict."""
    base = base_dir or Path.cwd()
    _only(raw, "", {"state_dir", "smtp", "mail", "store", "security", "log", "outbound"})
    state_dir = _path(base, _get(raw, "", "state_dir", str, "var"))

    smtp_raw = _table(raw, "smtp")
    _only(smtp_raw, "smtp", {f.name for f in dataclasses.fields(SmtpConfig)})
    smtp = SmtpConfig(
        listen=parse_listen("smtp.listen", _get(smtp_raw, "smtp", "listen", str, "127.0.0.1:2525")),
        hostname=_get(smtp_raw, "smtp", "hostname", str, "localhost"),
        timeout=_positive(smtp_raw, "smtp", "timeout", 300.0),
        max_recipients=int(_positive(smtp_raw, "smtp", "max_recipients", 100, integer=True)),
        max_commands=int(_positive(smtp_raw, "smtp", "max_commands", 200, integer=True)),
        max_header_bytes=int(_positive(smtp_raw, "smtp", "max_header_bytes", 100 * 1024, integer=True)),
    )

    mail_raw = _table(raw, "mail")
    _only(mail_raw, "mail", {"domain", "max_message_size"})
    domain = _get(mail_raw, "mail", "domain", str, None)
    if not domain or "@" in domain or "." not in domain or any(c.isspace() for c in domain):
        raise ConfigError("mail.domain", f"must be a domain name like proposals.example.com, got {domain!r}")
    mail = MailConfig(
        domain=domain.lower().rstrip("."),
        max_message_size=int(_positive(mail_raw, "mail", "max_message_size", 50 * MiB, integer=True)),
    )

    store_raw = _table(raw, "store")
    _only(store_raw, "store", {f.name for f in dataclasses.fields(StoreConfig)})
    url = _get(store_raw, "store", "url", str, "")
    if not url:
        url = f"sqlite:///{state_dir / 'quotemaild.db'}"
    elif url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        url = f"sqlite:///{_path(base, url.removeprefix('sqlite:///'))}"
    store = StoreConfig(
        url=url,
        busy_timeout=_positive(store_raw, "store", "busy_timeout", 5.0),
        commit_batch_max=int(_positive(store_raw, "store", "commit_batch_max", 256, integer=True)),
        commit_delay=float(_get(store_raw, "store", "commit_delay", (int, float), 0.0)),
    )

    sec_raw = _table(raw, "security")
    _only(sec_raw, "security", {"secret", "secret_file"})
    secret = _get(sec_raw, "security", "secret", str, "")
    secret_file = _get(sec_raw, "security", "secret_file", str, "")
    if secret and secret_file:
        raise ConfigError("security.secret", "give either secret or secret_file, not both")
    if secret_file:
        try:
            secret = _path(base, secret_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError("security.secret_file", f"cannot read {secret_file}: {exc.strerror}") from exc
    if len(secret) < 16:
        raise ConfigError("security.secret", "must be at least 16 characters (run `make secret`)")

    log_raw = _table(raw, "log")
    _only(log_raw, "log", {"level", "format"})
    level = _get(log_raw, "log", "level", str, "info").lower()
    if level not in _LOG_LEVELS:
        raise ConfigError("log.level", f"must be one of {', '.join(_LOG_LEVELS)}, got {level!r}")
    fmt = _get(log_raw, "log", "format", str, "json").lower()
    if fmt not in _LOG_FORMATS:
        raise ConfigError("log.format", f"must be one of {', '.join(_LOG_FORMATS)}, got {fmt!r}")

    outbound = _outbound(_table(raw, "outbound"), base)

    return Config(
        smtp=smtp,
        outbound=outbound,
        mail=mail,
        store=store,
        security=SecurityConfig(secret=secret),
        log=LogConfig(level=level, format=fmt),
        state_dir=state_dir,
        source=source,
    )


_TLS_MODES = ("none", "starttls", "ssl")


def _outbound(raw: Mapping[str, Any], base: Path) -> OutboundConfig:
    _only(raw, "outbound", {f.name for f in dataclasses.fields(OutboundConfig)} | {"password_file"} - {"password"})
    smarthost = None
    if "smarthost" in raw:
        smarthost = parse_listen("outbound.smarthost", _get(raw, "outbound", "smarthost", str, None))
        if smarthost.unix_path:
            raise ConfigError("outbound.smarthost", "must be host:port")
    tls = _get(raw, "outbound", "tls", str, "none")
    if tls not in _TLS_MODES:
        raise ConfigError("outbound.tls", f"must be one of {', '.join(_TLS_MODES)}, got {tls!r}")
    password = ""
    if "password_file" in raw:
        path = _path(base, _get(raw, "outbound", "password_file", str, None))
        try:
            password = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError("outbound.password_file", f"cannot read {path}: {exc.strerror}") from exc
    public_url = _get(raw, "outbound", "public_url", str, "").rstrip("/")
    if public_url and not public_url.startswith(("http://", "https://")):
        raise ConfigError("outbound.public_url", f"must start with http:// or https://, got {public_url!r}")
    return OutboundConfig(
        smarthost=smarthost,
        tls=tls,
        username=_get(raw, "outbound", "username", str, ""),
        password=password,
        timeout=_positive(raw, "outbound", "timeout", 60.0),
        retry_initial=_positive(raw, "outbound", "retry_initial", 300.0),
        retry_max=_positive(raw, "outbound", "retry_max", 3600.0),
        give_up_after=_positive(raw, "outbound", "give_up_after", 5 * 24 * 3600.0),
        poll_interval=_positive(raw, "outbound", "poll_interval", 30.0),
        public_url=public_url,
    )


def parse_listen(key: str, value: str) -> Listen:
    if value.startswith("unix:"):
        path = value.removeprefix("unix:")
        if not path.startswith("/"):
            raise ConfigError(key, f"unix socket path must be absolute, got {path!r}")
        return Listen(unix_path=path)
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(key, f"must be host:port or unix:/path, got {value!r}")
    return Listen(host=host.strip("[]") or "127.0.0.1", port=int(port))


def _table(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(name, "must be a table")
    return value


def _only(raw: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
    for key in raw:
        if key not in allowed:
            full = f"{prefix}.{key}" if prefix else key
            raise ConfigError(full, f"unknown key (known: {', '.join(sorted(allowed))})")


def _get(raw: Mapping[str, Any], prefix: str, key: str, kind: Any, default: Any) -> Any:
    full = f"{prefix}.{key}" if prefix else key
    if key not in raw:
        if default is None:
            raise ConfigError(full, "is required")
        return default
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        want = kind.__name__ if isinstance(kind, type) else "number"
        raise ConfigError(full, f"must be a {want}, got {value!r}")
    return value


def _positive(raw: Mapping[str, Any], prefix: str, key: str, default: float, integer: bool = False) -> float:
    value = _get(raw, prefix, key, int if integer else (int, float), default)
    if value <= 0:
        raise ConfigError(f"{prefix}.{key}", f"must be greater than 0, got {value!r}")
    return value


def _path(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)
