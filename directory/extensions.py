"""Flask extensions without an app; create_app binds them."""

from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

import directory.models  # noqa: F401  (every table registered before Alembic looks)

migrate = Migrate()
csrf = CSRFProtect()
