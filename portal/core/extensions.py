"""Flask extensions, created unbound and initialised in `create_app`. They live in `core` because core
modules (the unit of work, audit, storage) need `db`; areas import them as `portal.extensions`."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portal.core import (
    lean_work,
    ratelimit_storage,  # noqa: F401  (RATELIMIT_STORAGE_URI may say sqlite:///...)
)
from portal.core.db import Base

db = SQLAlchemy(model_class=Base, session_options={"class_": lean_work.Session})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
babel = Babel()
