"""Gunicorn settings for serving wir-survey: no access log, and no warnings that quote client addresses."""
import multiprocessing

bind = "127.0.0.1:5000"
# One sync worker per core, plus one to use the CPU while another waits for SQLite to sync a submit
# (measured with `make bench`: 2 workers 91, 3 workers 94 flows/s at 10 clients).
workers = multiprocessing.cpu_count() + 1
# G1: an access log line holds the client address, time and path; it is never written.
accesslog = None
# Gunicorn quotes the client address in warnings about malformed requests; only errors are logged.
loglevel = "error"
# Headers that carry client addresses are not trusted or used.
forwarded_allow_ips = ""
