"""Reading the TOML file into `Config`, refusing unknown keys and bad values by name."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from quotemaild.config.sections import (
    IDLE_REISSUE_LIMIT,
    Config,
    DkimConfig,
    HttpConfig,
    ImapConfig,
    Listen,
    LmtpConfig,
    LogConfig,
    MailConfig,
    MiB,
    OutboundConfig,
    ProcessingConfig,
    RetentionConfig,
    SecurityConfig,
    SmtpConfig,
    StoreConfig,
    ViesConfig,
)
from quotemaild.errors import ConfigError

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
    _only(
        raw,
        "",
        {
            "state_dir", "shutdown_grace", "smtp", "lmtp", "imap", "mail", "store", "security", "log",
            "outbound", "http", "retention", "processing", "vies", "dkim",
        },
    )
    state_dir = _path(base, _get(raw, "", "state_dir", str, "var"))
    shutdown_grace = float(_get(raw, "", "shutdown_grace", (int, float), 30.0))
    if shutdown_grace < 0:
        raise ConfigError("shutdown_grace", f"must be 0 or more seconds, got {shutdown_grace!r}")

    smtp_raw = _table(raw, "smtp")
    _only(smtp_raw, "smtp", {f.name for f in dataclasses.fields(SmtpConfig)})
    smtp = SmtpConfig(
        listen=parse_listen("smtp.listen", _get(smtp_raw, "smtp", "listen", str, "127.0.0.1:2525")),
        hostname=_get(smtp_raw, "smtp", "hostname", str, "localhost"),
        timeout=_positive(smtp_raw, "smtp", "timeout", 300.0),
        max_recipients=int(_positive(smtp_raw, "smtp", "max_recipients", 100, integer=True)),
        max_commands=int(_positive(smtp_raw, "smtp", "max_commands", 10000, integer=True)),
        max_header_bytes=int(_positive(smtp_raw, "smtp", "max_header_bytes", 100 * 1024, integer=True)),
        max_connections_per_client=int(_positive(smtp_raw, "smtp", "max_connections_per_client", 50, integer=True)),
        tarpit_after=int(_positive(smtp_raw, "smtp", "tarpit_after", 3, integer=True)),
        tarpit_delay=float(_get(smtp_raw, "smtp", "tarpit_delay", (int, float), 2.0)),
        close_after_unknown=int(_positive(smtp_raw, "smtp", "close_after_unknown", 10, integer=True)),
    )
    if smtp.tarpit_delay < 0:
        raise ConfigError("smtp.tarpit_delay", f"must be 0 or more seconds, got {smtp.tarpit_delay!r}")

    lmtp_raw = _table(raw, "lmtp")
    _only(lmtp_raw, "lmtp", {"listen"})
    lmtp_listen = _get(lmtp_raw, "lmtp", "listen", str, "")
    lmtp = LmtpConfig(listen=parse_listen("lmtp.listen", lmtp_listen) if lmtp_listen else None)

    imap_raw = _table(raw, "imap")
    _only(imap_raw, "imap", {f.name for f in dataclasses.fields(ImapConfig)})
    imap = ImapConfig(
        poll_interval=float(_positive(imap_raw, "imap", "poll_interval", 60.0)),
        idle_timeout=float(_positive(imap_raw, "imap", "idle_timeout", 600.0)),
        backoff_initial=float(_positive(imap_raw, "imap", "backoff_initial", 5.0)),
        backoff_max=float(_positive(imap_raw, "imap", "backoff_max", 900.0)),
        timeout=float(_positive(imap_raw, "imap", "timeout", 60.0)),
    )
    if imap.idle_timeout >= IDLE_REISSUE_LIMIT:
        raise ConfigError("imap.idle_timeout", f"must be below {IDLE_REISSUE_LIMIT} seconds (29 minutes), got {imap.idle_timeout!r}")
    if imap.backoff_max < imap.backoff_initial:
        raise ConfigError("imap.backoff_max", f"must be at least imap.backoff_initial ({imap.backoff_initial!r})")

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
    try:
        parsed_url = make_url(url)
    except ArgumentError as exc:
        raise ConfigError("store.url", f"not a database URL (like sqlite:///var/q.db or postgresql+psycopg://...): {url!r}") from exc
    url = server_url(parsed_url, url)
    store = StoreConfig(
        url=url,
        busy_timeout=_positive(store_raw, "store", "busy_timeout", 5.0),
        commit_batch_max=int(_positive(store_raw, "store", "commit_batch_max", 256, integer=True)),
        commit_delay=float(_get(store_raw, "store", "commit_delay", (int, float), 0.0)),
        pool_size=int(_positive(store_raw, "store", "pool_size", 10, integer=True)),
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

    http_raw = _table(raw, "http")
    _only(http_raw, "http", {"listen"})
    http_listen = _get(http_raw, "http", "listen", str, "")
    http = HttpConfig(listen=parse_listen("http.listen", http_listen) if http_listen else None)
    if http.listen is not None and http.listen == smtp.listen and (http.listen.port or http.listen.unix_path):
        raise ConfigError("http.listen", f"is the same address as smtp.listen ({smtp.listen})")

    ret_raw = _table(raw, "retention")
    _only(ret_raw, "retention", {f.name for f in dataclasses.fields(RetentionConfig)})
    raw_days = _get(ret_raw, "retention", "raw_days", int, 0)
    if raw_days < 0:
        raise ConfigError("retention.raw_days", f"must be 0 (off) or a number of days, got {raw_days!r}")
    retention = RetentionConfig(
        raw_days=raw_days,
        interval=_positive(ret_raw, "retention", "interval", 3600.0),
        batch=int(_positive(ret_raw, "retention", "batch", 500, integer=True)),
    )

    proc_raw = _table(raw, "processing")
    _only(proc_raw, "processing", {f.name for f in dataclasses.fields(ProcessingConfig)})
    processing = ProcessingConfig(
        message_timeout=_positive(proc_raw, "processing", "message_timeout", 300.0),
        workers=_count(proc_raw, "processing", "workers", ProcessingConfig.workers),
        drain_workers=_count(proc_raw, "processing", "drain_workers", ProcessingConfig.drain_workers),
        max_backlog=_count(proc_raw, "processing", "max_backlog", ProcessingConfig.max_backlog),
    )

    outbound = _outbound(_table(raw, "outbound"), base)
    vies_raw = _table(raw, "vies")
    _only(vies_raw, "vies", {"url", "timeout"})
    vies_url = _get(vies_raw, "vies", "url", str, ViesConfig.url)
    if not vies_url.startswith(("http://", "https://")):
        raise ConfigError("vies.url", f"must be an http(s) URL, got {vies_url!r}")
    vies = ViesConfig(url=vies_url, timeout=_positive(vies_raw, "vies", "timeout", 10.0))

    return Config(
        smtp=smtp,
        outbound=outbound,
        dkim=_dkim(_table(raw, "dkim"), base, mail.domain),
        lmtp=lmtp,
        imap=imap,
        mail=mail,
        store=store,
        security=SecurityConfig(secret=secret),
        log=LogConfig(level=level, format=fmt),
        http=http,
        retention=retention,
        processing=processing,
        shutdown_grace=shutdown_grace,
        vies=vies,
        state_dir=state_dir,
        source=source,
    )


def _dkim(raw: Mapping[str, Any], base: Path, mail_domain: str) -> DkimConfig:
    _only(raw, "dkim", {"selector", "domain", "key_file"})
    if not raw:
        return DkimConfig()
    selector = _get(raw, "dkim", "selector", str, None)
    path = _path(base, _get(raw, "dkim", "key_file", str, None))
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise ConfigError("dkim.key_file", f"cannot read {path}: {exc.strerror}") from exc
    if b"PRIVATE KEY" not in key:
        raise ConfigError("dkim.key_file", f"{path} is not a PEM private key")
    return DkimConfig(selector=selector, domain=_get(raw, "dkim", "domain", str, mail_domain).lower(), private_key=key)


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


def _count(raw: Mapping[str, Any], prefix: str, key: str, default: int) -> int:
    """A whole number >= 0 (0 has a meaning of its own: automatic, or no limit)."""
    value = _get(raw, prefix, key, int, default)
    if isinstance(value, bool) or value < 0:
        raise ConfigError(f"{prefix}.{key}", f"must be a whole number >= 0, got {value!r}")
    return int(value)


def _path(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


# Store backends the daemon runs on, and the driver each needs (a URL naming another is refused
# here, by field, rather than by a traceback from the engine at start).
_DRIVERS = {"sqlite": {"pysqlite"}, "postgresql": {"psycopg"}}


def server_url(parsed: Any, url: str) -> str:
    """The store URL as the engine gets it: `postgresql://` means psycopg 3 (SQLAlchemy would
    otherwise pick psycopg2, which we do not use); other backends and drivers are refused."""
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend not in _DRIVERS:
        raise ConfigError("store.url", f"backend {backend!r} is not supported: use sqlite:/// or postgresql+psycopg://")
    if backend == "postgresql" and "+" not in parsed.drivername:
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if driver not in _DRIVERS[backend]:
        raise ConfigError("store.url", f"driver {driver!r} is not supported for {backend}: use {backend}+{min(_DRIVERS[backend])}://")
    return url
