"""The web inquiry-form service. Qt-free."""
