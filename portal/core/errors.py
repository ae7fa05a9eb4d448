"""Typed domain errors. Messages are for the person who asked; nothing here knows HTTP pages."""


class DomainError(Exception):
    """A rule of the domain said no."""

    status = 409
    type = "about:blank"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class Invalid(DomainError):
    status = 422
    type = "https://provenance.example/problems/invalid"


class NotFound(DomainError):
    status = 404
    type = "https://provenance.example/problems/not-found"


class NotAllowed(DomainError):
    status = 403
    type = "https://provenance.example/problems/not-allowed"


class Conflict(DomainError):
    status = 409
    type = "https://provenance.example/problems/conflict"


class AlreadyOwned(Conflict):
    type = "https://provenance.example/problems/already-owned"


class Throttled(DomainError):
    status = 429
    type = "https://provenance.example/problems/throttled"


class Unauthenticated(DomainError):
    """No credential came with the request, or one that is not (or no longer) valid."""
    status = 401
    type = "https://provenance.example/problems/unauthorized"


class InsufficientScope(DomainError):
    """A valid credential that does not hold the scope the request needs."""
    status = 403
    type = "https://provenance.example/problems/insufficient-scope"
