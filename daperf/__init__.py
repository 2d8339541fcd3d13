"""Shared plumbing for the domestic abuse performance product: configuration, database access, SQL files."""
