"""`jointreview serve`: the web app with the timer worker running beside it."""
from __future__ import annotations

import argparse
import logging
import threading
from typing import Callable

from engine import timers
from engine.runtime import Runtime


def cmd_serve(rt: Runtime, args: argparse.Namespace) -> int:
    from . import create_app  # the Flask app is built only for this command

    app = create_app({"DATABASE_URL": rt.db.url})
    stop = threading.Event()
    if not args.no_worker:
        worker = threading.Thread(target=timers.run, args=(app.extensions["jointreview"], "web-worker", stop),
                                  daemon=True, name="timer-worker")
        worker.start()
    logging.getLogger("spiff").setLevel(logging.WARNING)
    print(f"JointReview on http://{args.host}:{args.port}/ (database {rt.db.url}); Ctrl-C to stop", flush=True)
    try:
        app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)
    finally:
        stop.set()
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add `serve` to the engine's command line (entry point `jointreview.cli`)."""
    p = add("serve", cmd_serve, "serve the web app (inbox, cases) with the timer worker")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--no-worker", action="store_true", help="do not run the timer worker in this process")
