"""The web app's routers: pages (sign-in, account, home) and the JSON API."""
