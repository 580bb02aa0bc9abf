"""The MSP workflows, written once against a small port (``port.Port``).

Each module here holds one workflow's rules: hierarchy, transfer, contact lifecycle,
audit, reports. They import only ``domain``, ``errors`` and the port; two adapters
run them: the services in one database transaction (``services/port.py``) and any
Autotask-compatible server over its plain REST API (``sdk/port.py``).
"""
