"""The dashboard: a Dash app (``app.server.create_app``) with thin pages over the metrics layer."""
