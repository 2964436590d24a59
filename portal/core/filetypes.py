"""A stored file's real type, from its first bytes: the portal never trusts the client's content type or
file name. Uploads are accepted by it (cases.attachment_add) and archive parts are checked by it."""

# Magic numbers of the file types the portal accepts.
FILE_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_content_type(head: bytes) -> str | None:
    """The content type whose signature ``head`` (the first 16 bytes are enough) starts with, or None."""
    return next((content_type for magic, content_type in FILE_SIGNATURES if head.startswith(magic)), None)
