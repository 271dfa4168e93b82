"""SMTP replies we send, as named constants (RFC 5321 codes with RFC 3463 enhanced status)."""

OK_QUEUED = "250 2.0.0 Ok: stored as {ids}"
OK_SENDER = "250 2.1.0 Ok"
OK_RECIPIENT = "250 2.1.5 Ok"
UNKNOWN_RECIPIENT = "550 5.1.1 <{address}>: recipient address unknown"
RELAY_DENIED = "550 5.7.1 <{address}>: relaying denied"
BAD_RECIPIENT_SYNTAX = "501 5.1.3 <{address}>: bad recipient address syntax"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
MESSAGE_TOO_BIG = "552 5.3.4 Message size exceeds fixed maximum message size"
LINE_TOO_LONG = "500 5.5.2 Line too long (RFC 5321 4.5.3.1.6)"
STORE_TROUBLE = "451 4.3.0 Temporary local problem storing the message, try again later"
INTERNAL_TROUBLE = "451 4.3.0 Temporary local problem, try again later"
RECIPIENT_LOOKUP_TROUBLE = "451 4.3.0 Cannot check the recipient now, try again later"
DISK_LOW = "452 4.3.1 Insufficient system storage, try again later"
SHUTTING_DOWN = "421 4.3.2 Service shutting down, try again later"
BACKLOG_FULL = "451 4.3.2 Too much mail waiting to be processed, try again later"
TOO_MANY_UNKNOWN = "421 4.7.0 Too many unknown recipients, closing connection"
TOO_MANY_CONNECTIONS = "421 4.7.0 Too many connections from your address, try again later"
NO_VALID_RECIPIENTS = "554 5.5.1 No valid recipients"

# aiosmtpd writes some replies itself, without enhanced codes; we rewrite them to ours.
AIOSMTPD_REWRITES = {
    "552 Error: message size exceeds fixed maximum message size": MESSAGE_TOO_BIG,
}

# LMTP (RFC 2033): after DATA, one of these per accepted recipient, in RCPT order.
LMTP_DELIVERED = "250 2.0.0 <{address}> Ok: stored as {raw_id}"
LMTP_STORE_TROUBLE = "451 4.3.0 <{address}> Temporary local problem storing the message, try again later"
