"""Sbor core: settings, database, jobs, app factory, plugin loader, hook specifications, auth and users."""

__version__ = "0.1.0"
