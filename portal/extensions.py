"""The Flask extensions every area uses, by their short name. They are made in `portal.core.extensions`, so that
`core` never imports upwards (docs/architecture.md, "Layers")."""
from portal.core.extensions import babel, csrf, db, limiter, login_manager, migrate

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate"]
