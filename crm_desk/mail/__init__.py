"""Mail: parsing, charsets, sanitizing, IMAP sync and the SMTP outbox. Qt-free."""
