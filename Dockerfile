# The portal image: web (gunicorn), worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Fonts and text shaping for WeasyPrint (libharfbuzz-subset0 keeps font subsetting fast), poppler-utils
# for PDF checks, gettext for compilemessages. Same list as `make setup`.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them. pyproject.toml lists no packages:
# the code runs from /app (the working directory is on the import path for gunicorn, celery, manage.py).
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Compile translations and collect static files with DEBUG=False (whitenoise's manifest storage). The
# settings refuse to load without secrets when DEBUG=False; these throwaway values exist only during
# the build and are not kept in the image.
RUN export DEBUG=False SECRET_KEY=build-only PII_HASH_KEY=build-only EXCHANGE_APP_SECRET=build-only \
        SMS_GATEWAY_KEY=build-only IDP_APP_SECRET=build-only \
        FIELD_ENCRYPTION_KEYS="$(python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" \
    && python manage.py compilemessages --ignore=.venv \
    && python manage.py collectstatic --noinput \
    && rm -rf var

RUN useradd --system --uid 1000 --home-dir /app portal \
    && mkdir -p var/media var/mail \
    && chown -R portal:portal var
USER portal

EXPOSE 8000
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--threads", "4", \
     "--access-logfile", "-", "--logger-class", "portal.core.access_log.MaskingGunicornLogger"]
