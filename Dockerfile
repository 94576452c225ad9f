# The application image: web (gunicorn), Celery worker and beat all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app

# psycopg2-binary and cryptography ship wheels: no compiler or libpq headers needed.
COPY requirements.txt .
RUN pip install -r requirements.txt

RUN groupadd --system app && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app

COPY . .

# Static files are collected into the image (served by WhiteNoise). Production settings refuse
# to import without a secret key, an encryption key and a broker; these placeholder values exist
# only for this build step and are never used to run anything.
RUN SECRET_KEY=collectstatic-only \
    FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1ub3QtYS1yZWFsLWtleS0wMDAwMDA= \
    REDIS_URL=redis://build-only:6379/0 \
    python manage.py collectstatic --noinput \
    && mkdir -p var/media \
    && chown -R app:app var

USER app

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--timeout", "60", "--access-logfile", "-"]
