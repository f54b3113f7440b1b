"""Domain errors that carry field names, so a view can put the message beside the field."""


class DomainError(Exception):
    """A rule of the world was broken; `fields` maps field names to messages."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationError(DomainError):
    code = "validation_error"
    status = 422


class ConflictError(DomainError):
    code = "conflict"
    status = 409


class NotFoundError(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
