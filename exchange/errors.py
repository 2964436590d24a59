"""What a look-up can raise instead of a result. Callers branch on the type, never on the message.

``NotFound`` and ``Mismatch`` are answers: the registry was asked and said no. ``Unavailable`` means there is
no answer (errors or timeouts after the retries, an open circuit, a refused request): the evidence must come
another way (an upload reviewed by a clerk) — never treat it as a pass. ``NotAuthorised`` means the portal
may not ask: no authorisation (授权) on record covers this subject, source and case.
"""


class ExchangeError(Exception):
    """Base class; ``outcome`` is the value recorded on the look-up's audit row."""

    outcome = "error"

    def __init__(self, message: str = "", *, source: str = ""):
        self.source = source
        super().__init__(message or self.__class__.__name__)


class NotFound(ExchangeError):
    """The registry holds no such record."""

    outcome = "not_found"


class Mismatch(ExchangeError):
    """The record exists but contradicts what was claimed (a name, a parent, an owner …)."""

    outcome = "mismatch"

    def __init__(self, message: str = "", *, source: str = "", fields: tuple[str, ...] = ()):
        self.fields = tuple(fields)
        super().__init__(message or f"does not match: {', '.join(self.fields)}", source=source)


class Unavailable(ExchangeError):
    """No answer could be had: retries exhausted, the circuit is open, or the exchange refused the request."""

    outcome = "unavailable"


class NotAuthorised(ExchangeError):
    """No guardian's authorisation on record covers this look-up (or it bypassed the recording service)."""

    outcome = "not_authorised"
