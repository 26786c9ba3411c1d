FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    FLOWDASH_DATA_DIR=/data FLOWDASH_STATIC_ROOT=/app/staticfiles

RUN useradd --create-home --uid 1000 flowdash
WORKDIR /app
COPY pyproject.toml README.md ./
COPY flowdash ./flowdash
# Optional extras, e.g. `docker compose build --build-arg FLOWDASH_EXTRAS=s3` for S3 media.
ARG FLOWDASH_EXTRAS=""
RUN pip install ".${FLOWDASH_EXTRAS:+[$FLOWDASH_EXTRAS]}"
COPY . .
# collectstatic needs a SECRET_KEY only to start Django; the real one comes at run time.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && mkdir -p /data && chown flowdash:flowdash /data
USER flowdash
VOLUME ["/data"]
EXPOSE 8000
CMD ["gunicorn", "flowdash.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
