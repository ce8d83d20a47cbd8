"""The hub's pages: templates on one layout, their scripts and styles, the security headers."""
