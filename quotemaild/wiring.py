"""What the daemon and its processing child both build from the config.

The processing side (ingest settings and the acknowledgement hook) runs in a child process that
gets only the config, so it is built here once for both, never twice by hand.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.config import Config
from quotemaild.edges.pipeline import AfterIngest
from quotemaild.mail.tokens import Signer
from quotemaild.services.acknowledge import acknowledge_new_request
from quotemaild.services.ingest import IngestResult, IngestSettings
from quotemaild.services.send import SendSettings, dkim_key


def signer(config: Config) -> Signer:
    return Signer(config.security.secret.encode(), config.mail.domain)


def send_settings(config: Config) -> SendSettings:
    """How our mail is addressed, signed and linked (daemon, processing child and CLI alike)."""
    return SendSettings(config.mail.domain, signer(config), config.outbound.public_url, dkim_key(config),
                        can_send=config.outbound.smarthost is not None)


def processing_side(config: Config, clock: Clock) -> tuple[IngestSettings, AfterIngest]:
    """Ingest settings, and the hook that queues an acknowledgement in the threading transaction."""
    outgoing = send_settings(config)
    settings = IngestSettings(
        domain=config.mail.domain, max_header_bytes=config.smtp.max_header_bytes, signer=outgoing.signer
    )

    def after_ingest(session: Session, result: IngestResult) -> bool:
        decision = acknowledge_new_request(session, outgoing, result, clock.now())
        return decision is not None and decision.allowed

    return settings, after_ingest
