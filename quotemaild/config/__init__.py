"""Configuration: one TOML file parsed once into frozen dataclasses and passed in explicitly.

Unknown keys and bad values are refused with a `ConfigError` naming the key (`smtp.listen`), so a
typo never silently falls back to a default. Relative paths are resolved against the directory of
the config file, so `make run` works from any working directory.
"""

from quotemaild.config.loading import config_from_dict, load_config, parse_listen
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

__all__ = [
    "IDLE_REISSUE_LIMIT",
    "MiB",
    "Listen",
    "SmtpConfig",
    "MailConfig",
    "StoreConfig",
    "SecurityConfig",
    "OutboundConfig",
    "ProcessingConfig",
    "DkimConfig",
    "LmtpConfig",
    "ImapConfig",
    "LogConfig",
    "HttpConfig",
    "RetentionConfig",
    "ViesConfig",
    "Config",
    "config_from_dict",
    "load_config",
    "parse_listen",
]
