"""Delivery channels: the contract (``base``) and the built-in providers (email, push, SMS, inbox, log)."""
