"""The Qt-free domain: every write goes through the services in this package."""
