"""gunicorn's access log with ID and phone numbers masked (``--logger-class
portal.core.access_log.MaskingGunicornLogger``, set in the Dockerfile and docker-compose.yml).

gunicorn writes its access log itself, outside Django's LOGGING, so the portal's log filter never sees
those lines; a query string or a referrer with a number in it would otherwise reach the log in full.
runserver's access log goes through Django's logging (``django.server``) and is masked there."""

from gunicorn.glogging import Logger

from portal.core.pii import mask_text


class MaskingGunicornLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        return {
            key: mask_text(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }
