"""Widgets that show models; each view is its own small module."""
