"""Gunicorn settings for serving wir-survey: no access log, and no warnings that quote client addresses."""
import multiprocessing

bind = "127.0.0.1:5000"
# One sync worker per core measured best in `make bench` (CPU-bound pages, no slow I/O).
workers = multiprocessing.cpu_count()
# G1: an access log line holds the client address, time and path; it is never written.
accesslog = None
# Gunicorn quotes the client address in warnings about malformed requests; only errors are logged.
loglevel = "error"
# Headers that carry client addresses are not trusted or used.
forwarded_allow_ips = ""
