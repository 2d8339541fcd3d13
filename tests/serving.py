"""The dashboard served on a free loopback port in a thread, for the browser tests."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from werkzeug.serving import make_server


@contextmanager
def served(flask_app, name: str = "dashboard") -> Iterator[str]:
    """Serve ``flask_app`` (threaded, as gunicorn's threads would) until the block ends; yields its base URL."""
    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
