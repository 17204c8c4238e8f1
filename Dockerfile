# TART's image: the web process by default; `tart ingest` and `tart migrate` as commands for the
# others (see docker-compose.yml). Needs DATABASE_URL.
FROM python:3.11-slim

WORKDIR /app
# Only what the package needs, so local .venv/ and .tart/ never end up in the image.
COPY pyproject.toml setup.cfg README.md wsgi.py gunicorn.conf.py ./
COPY schema ./schema
COPY tart ./tart
RUN pip install --no-cache-dir . \
    && useradd --system --no-create-home --shell /usr/sbin/nologin tart

USER tart
ENV PYTHONUNBUFFERED=1
EXPOSE 8080 9000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
