"""The portal and the JSON API (FastAPI): server-rendered pages in Japanese first, sign-in,
sessions and CSRF for the pages, bearer tokens for the API. Only this package imports FastAPI.
"""

from jikoflow.web.app import create_app

__all__ = ["create_app"]
