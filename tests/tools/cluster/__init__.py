"""A small cluster of real gunicorn nodes under load, with faults injected, for tests/survey/test_faults.py.

Everything is real: the instance is set up with the `wir-survey` commands, the nodes are gunicorn
processes started as in production, the clients speak raw HTTP with a cookie jar like a browser,
and an operator's `pool flush` runs as its own process (tests/tools/flush_midway.py). The faults are
SIGKILLs of a node's whole process group, PostgreSQL's pg_terminate_backend on every connection,
a SIGKILL of a flush that has written its batch but not committed it, and a few submit replies
lost on their way back after the answer was committed (the client retries, as after any failure).

Nothing here prints or keeps a code beyond the memory of the test, nor any per-respondent time:
the counts that come out are aggregates.

instance.py sets the instance up; processes.py, nodes.py and flush_process.py run the subprocesses;
respondent_flow.py and clients.py make the load; faults.py injects the faults; harness.py ties them
into the Cluster; reconcile.py reads what the database and the audit say afterwards.
"""
from .harness import Cluster
from .instance import Instance, make_instance
from .nodes import Node
from .reconcile import Stored, audit, read_database

__all__ = ["Cluster", "Instance", "Node", "Stored", "audit", "make_instance", "read_database"]
