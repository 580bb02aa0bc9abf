"""mspcrm: a self-hosted CRM for MSPs that speaks the Autotask PSA REST API."""

__version__ = "0.1.0"
