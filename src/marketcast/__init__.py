"""Marketcast: an open-source social-commerce engine."""

__version__ = "0.1.0"
