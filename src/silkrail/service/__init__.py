"""The tracking HTTP service (FastAPI): ``create_app(settings)``; nothing is built at import."""
