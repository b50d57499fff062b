"""crm-desk: a desktop client for a support team's shared inbox."""

__version__ = "0.1.0"
