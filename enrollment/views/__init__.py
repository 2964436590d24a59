"""Enrollment pages: the parent wizard, status pages, the counter and the review queue (one module each)."""
