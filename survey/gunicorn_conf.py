"""Gunicorn settings for a wir-survey node: no access log, no warnings that quote client addresses,
the instance's own port, and no start with an insecure configuration or an unready database."""
import multiprocessing
import sys

from survey import config as _settings

_written = {**_settings.DEFAULTS, **_settings.written_settings(_settings.instance_path())}

# The instance's port (written by `wir-survey init --port`); `--bind` on the command line wins.
bind = f"{_written['BIND_ADDRESS']}:{_written['PORT']}"
# One sync worker per core, plus one to use the CPU while another waits for SQLite to sync a submit
# (measured with `make bench`: 2 workers 91, 3 workers 94 flows/s at 10 clients).
workers = multiprocessing.cpu_count() + 1
# G1: an access log line holds the client address, time and path; it is never written.
accesslog = None
# Gunicorn quotes the client address in warnings about malformed requests; only errors are logged.
loglevel = "error"
# Headers that carry client addresses are not trusted or used.
forwarded_allow_ips = ""
# No control socket (gunicorn 25.1+): its default path is per user, not per node, so two nodes on one
# machine would fight over it, and nothing here needs to change workers at run time.
control_socket_disable = True


def on_starting(server) -> None:
    """Refuse to start a node whose configuration is insecure or whose database is not ready.

    The check builds the app once in the master and drops its connections before workers fork."""
    from survey import create_app, readiness
    from survey.configcheck import problems
    from survey.extensions import db

    app = create_app()
    with app.app_context():
        try:
            readiness.check(app, "schema")
            found = problems(app)
        except readiness.NotReady as exc:
            found = [str(exc)]
        finally:
            db.engine.dispose()
    if found:
        for problem in found:
            print(f"wir-survey will not start: {problem}", file=sys.stderr)
        print("See `wir-survey config check` and the README's section on operating wir-survey.", file=sys.stderr)
        sys.exit(1)
