"""Diagnostic only: the server with the request-limit check switched off.

``python -m benchmarks.nolimits --database URL --port N``. The shipped server counts
every request and holds a slot (in memory while it is the only server on its database,
else two short write transactions); the suite measures that, and runs this variant beside
it to show what the check costs.
"""

from __future__ import annotations

import argparse

import uvicorn

from mspcrm.api.app import create_app
from mspcrm.config import Settings
from mspcrm.services.crm import build_services
from mspcrm.services.limits import Admission


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    services = build_services(Settings(database_url=args.database))
    services.limits.try_admit = lambda scope: Admission(None, 0)  # type: ignore[method-assign]
    services.limits.forget = lambda admission: None  # type: ignore[method-assign]
    app = create_app(services.settings, services=services)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
