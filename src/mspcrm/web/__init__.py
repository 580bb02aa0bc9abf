"""The CRM in a browser: server-rendered pages (Jinja2 + htmx) over the services.

Generic pages are generated from the entity declarations (``records``); hand-made pages
exist only where the work is special (``company``, ``pipeline``). Sign-in, sessions and
CSRF live in ``session``; every page passes ``guard.page``.
"""
