"""The dashboard of docs/design.md §15: a read-only web app over a data directory (``quantpro serve``).

``app.create_app`` builds the ASGI app (API, page, server-sent events) behind the access rules of
``security``; ``server.serve`` runs it on uvicorn. Nothing here writes to the data directory.
"""
