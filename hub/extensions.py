"""Flask extensions, created unbound and initialised in create_app()."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Keyed by the client address unless a route names its own key (hub.security: per submitted e-mail).
limiter = Limiter(key_func=get_remote_address)
