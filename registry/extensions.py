"""Flask extensions, created unbound and bound in ``create_app``."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_caching import Cache
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from registry.models import Base

db = SQLAlchemy(model_class=Base)
# The declarative base every model derives from; type checkers see ``Base`` (db.Model is
# made at run time from it).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
# Answers kept between requests, keyed by the registry's generation (registry/freshness.py).
cache = Cache()
compress = Compress()
# No default limits: only the views that name a limit are throttled (the login form).
limiter = Limiter(get_remote_address)
