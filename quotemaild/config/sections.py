"""The config sections: frozen dataclasses with their defaults (see `loading` for the file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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
    max_commands: int = 10000  # per command per session; Postfix reuses cached connections
    max_header_bytes: int = 100 * 1024
    max_connections_per_client: int = 50  # simultaneous sessions from one IP address (Postfix's smtpd default); then 421
    tarpit_after: int = 3  # unknown recipients (550) in a session before each refusal is slowed
    tarpit_delay: float = 2.0  # seconds added to each refusal past `tarpit_after`
    close_after_unknown: int = 10  # unknown recipients in a session before 421 and close


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
    pool_size: int = 10  # PostgreSQL: connections per process (and as many again in a burst)


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
class DkimConfig:
    """Optional DKIM signing of outgoing mail; off when `selector` is empty."""

    selector: str = ""
    domain: str = ""  # default: mail.domain
    private_key: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class LmtpConfig:
    listen: Listen | None = None  # None: no LMTP listener


# An IMAP server may drop an IDLE after 30 minutes of silence (RFC 2177): re-issue before 29.
IDLE_REISSUE_LIMIT = 29 * 60


@dataclass(frozen=True)
class ImapConfig:
    poll_interval: float = 60.0  # seconds between checks when the server does not offer IDLE
    idle_timeout: float = 600.0  # seconds one IDLE is held, then re-issued after a reconcile (< 29 min)
    backoff_initial: float = 5.0  # first wait after an error; doubles per consecutive error
    backoff_max: float = 900.0  # ceiling of that wait
    timeout: float = 60.0  # socket timeout for connect and every command


@dataclass(frozen=True)
class LogConfig:
    level: str = "info"
    format: str = "json"


@dataclass(frozen=True)
class HttpConfig:
    """The HTTP listener: /healthz, /metrics, quote links, the JSON API and web app; None = off."""

    listen: Listen | None = None


@dataclass(frozen=True)
class RetentionConfig:
    raw_days: int = 0  # 0 = keep raw copies forever
    interval: float = 3600.0  # seconds between purge runs
    batch: int = 500  # rows per transaction, so a purge never holds the write lock for long


@dataclass(frozen=True)
class ProcessingConfig:
    # Seconds the processing child may spend on one message before it is killed and the message
    # kept as failed (visible, `reprocess` runs it again); a normal message takes milliseconds.
    message_timeout: float = 300.0
    # Processing child processes; 0: the number of cores minus one, at least 1.
    workers: int = 0
    # More processing child processes, which take work only while no mail is arriving (the
    # backlog a burst left behind): accepting then needs no core, so its core drains too.
    drain_workers: int = 1
    # Raw messages pending processing past which new SMTP/LMTP transactions get 451 4.3.2
    # (try again later) instead of growing the backlog without bound; 0: no limit.
    max_backlog: int = 100_000


@dataclass(frozen=True)
class ViesConfig:
    """EU VIES REST service for `contact lookup-vat`."""

    url: str = "https://ec.europa.eu/taxation_customs/vies/rest-api"
    timeout: float = 10.0


@dataclass(frozen=True)
class Config:
    mail: MailConfig
    store: StoreConfig
    security: SecurityConfig
    smtp: SmtpConfig = SmtpConfig()
    outbound: OutboundConfig = OutboundConfig()
    dkim: DkimConfig = DkimConfig()
    lmtp: LmtpConfig = LmtpConfig()
    imap: ImapConfig = ImapConfig()
    log: LogConfig = LogConfig()
    http: HttpConfig = HttpConfig()
    retention: RetentionConfig = RetentionConfig()
    processing: ProcessingConfig = ProcessingConfig()
    shutdown_grace: float = 30.0  # seconds in-flight DATA may take after SIGTERM
    vies: ViesConfig = ViesConfig()
    state_dir: Path = Path("var")
    source: Path | None = None
