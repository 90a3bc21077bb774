"""Gunicorn settings for serving wir-survey: no access log, and no warnings that quote client addresses."""
import multiprocessing

bind = "127.0.0.1:5000"
workers = max(2, multiprocessing.cpu_count() * 2)
# G1: an access log line holds the client address, time and path; it is never written.
accesslog = None
# Gunicorn quotes the client address in warnings about malformed requests; only errors are logged.
loglevel = "error"
# Headers that carry client addresses are not trusted or used.
forwarded_allow_ips = ""
