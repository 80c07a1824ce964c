"""`jointreview serve`: the web app under gunicorn (several processes, each with threads). The timers,
notices, figures and mail are the worker's job: run `jointreview worker` beside it (`make run` starts both)."""
from __future__ import annotations

import argparse
import os
import tempfile
from typing import Callable

from engine import logs
from engine.runtime import Runtime


def _child_exit(_server, worker) -> None:
    """A web process ended: its share of the metrics is folded away (prometheus_client's multiprocess mode)."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def cmd_serve(rt: Runtime, args: argparse.Namespace) -> int:
    from gunicorn.app.base import BaseApplication

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # every web process adds to the same metrics
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="jointreview-metrics-")
    logs.setup()
    url = rt.db.url
    rt.db.dispose()  # no connection is shared with the forked processes
    options = {"bind": f"{args.host}:{args.port}", "workers": args.workers, "threads": args.threads,
               "worker_class": "gthread", "timeout": args.timeout, "graceful_timeout": 30, "keepalive": 5,
               "child_exit": _child_exit, "proc_name": "jointreview", "accesslog": None,
               "forwarded_allow_ips": os.environ.get("JOINTREVIEW_FORWARDED_ALLOW_IPS", "127.0.0.1"),
               "limit_request_line": 8190, "control_socket_disable": True}
    if (os.environ.get("JOINTREVIEW_LOG_FORMAT") or "json").lower() == "json":  # gunicorn's own lines as JSON too
        options["logconfig_dict"] = {
            "version": 1, "disable_existing_loggers": False,
            "formatters": {"json": {"()": "engine.logs.JsonFormatter"}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
            "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}}}

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from . import create_app  # built in each web process, after the fork
            return create_app({"DATABASE_URL": url})

    print(f"JointReview on http://{args.host}:{args.port}/ ({args.workers} processes × {args.threads} threads, "
          f"database {url}); run `jointreview worker` beside it; Ctrl-C to stop", flush=True)
    Server().run()
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add `serve` to the engine's command line (entry point `jointreview.cli`)."""
    p = add("serve", cmd_serve, "serve the web app and the REST API under gunicorn (run `jointreview worker` too)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--workers", type=int, default=int(os.environ.get("JOINTREVIEW_WEB_PROCESSES", "2")),
                   help="web processes (default: $JOINTREVIEW_WEB_PROCESSES or 2)")
    p.add_argument("--threads", type=int, default=int(os.environ.get("JOINTREVIEW_WEB_THREADS", "4")),
                   help="threads per process (default: $JOINTREVIEW_WEB_THREADS or 4)")
    p.add_argument("--timeout", type=int, default=60, help="seconds before a stuck request's process is replaced")
