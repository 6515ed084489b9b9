"""The one exception hierarchy of callbot: every error we raise on purpose derives from CallbotError."""


class CallbotError(Exception):
    """Base of every error callbot raises deliberately."""


class ConfigError(CallbotError):
    """A setting is missing or malformed; the message names it."""


class InvalidTransition(CallbotError):
    """A lead or call was asked to move to a state its current state does not allow."""


class TelephonyError(CallbotError):
    """The telephony provider refused or failed a request (e.g. a Twilio REST error)."""

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


class IntakeError(CallbotError):
    """A lead file cannot be read at all (encoding, no phone column…); row-level problems are verdicts, not errors."""


class NotFound(CallbotError):
    """A referenced record does not exist."""
