"""Dialogs of the desktop app: first start, settings, and the ticket actions."""
