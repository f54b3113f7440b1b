"""Center: the operations system of a social-organization support center."""
import os
from pathlib import Path

from flask import Flask, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.routing import IntegerConverter

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MAX_ID = 2**31 - 1  # the largest 32-bit INTEGER: every id column, and page numbers, fit below


class IdConverter(IntegerConverter):
    """`<int:...>` in URLs: 0..MAX_ID, so a huge id is a 404 before it reaches the database."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, commands. Starts nothing."""
    app = Flask(__name__, instance_relative_config=True, template_folder=str(TEMPLATES))
    app.url_map.converters["int"] = IdConverter
    load_config(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    app.json.ensure_ascii = False  # API messages readable as Chinese, not \u escapes
    if app.config.get("PROXY_COUNT"):
        # Behind a reverse proxy the client address (login throttling) and HTTPS come from headers.
        from werkzeug.middleware.proxy_fix import ProxyFix
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    return app


def load_config(app: Flask, test_config: dict | None) -> None:
    from center.config import Config, from_environment

    app.config.from_object(Config)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(from_environment())
    else:
        app.config.update(test_config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'center.db'}"
    # One switch for both cookies: a Secure session cookie beside a clear-text remember-me
    # cookie would leak the longer-lived credential.
    app.config["REMEMBER_COOKIE_SECURE"] = app.config.get("REMEMBER_COOKIE_SECURE") \
        or app.config["SESSION_COOKIE_SECURE"]
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set: put it in instance/config.py or the environment "
                           "(`make run` writes one for you).")


def register_extensions(app: Flask) -> None:
    from center import auth, models  # noqa: F401  (models: every table known to metadata)
    from center.extensions import babel, configure_sqlite, csrf, db, login_manager, migrate
    from center.services import accounts, audit, textsearch  # noqa: F401  (audit: flush hooks)

    accounts.PASSWORD_HASH_METHOD = app.config["PASSWORD_HASH_METHOD"]
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True,
                   include_object=textsearch.include_in_autogenerate)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # sessions are server-side rows; see auth.load_user
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=lambda: app.config["CENTER_TIMEZONE"])
    app.context_processor(lambda: {"get_locale": get_locale})
    app.before_request(auth.enforce_access)
    app.after_request(auth.security_headers)


def select_locale() -> str:
    """Chinese unless the user (token or login) or, before login, the session asked for English.

    An API client without a user preference may ask with Accept-Language."""
    if not has_request_context():
        return "zh"  # CLI commands, jobs and tests outside a request
    user = getattr(g, "user", None) or current_user
    if user and user.is_authenticated:
        return user.locale
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(["zh", "en"], default="zh")
    return session.get("lang", "zh")


def register_blueprints(app: Flask) -> None:
    from center.api import api
    from center.errors import register_error_handlers
    from center.extensions import csrf
    from center.views import (admin, auth, calendar, consultations, directory, jobs, liaison,
                              main, notifications, reviews, statistics, venues, weekly)

    for module in (auth, main, admin, directory, calendar, notifications, venues, consultations,
                   reviews, weekly, jobs, statistics, liaison):
        app.register_blueprint(module.bp)
    csrf.exempt(api)  # token-authenticated, never by cookie, so no CSRF exposure
    app.register_blueprint(api)
    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    from center import cli

    cli.register(app)
