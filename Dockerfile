# syntax=docker/dockerfile:1
# Sbor: one image for the API, the workers and the migrations (docs/operations.md).
#
#   docker build -t sbor .
#   docker run sbor migrate          # = python3 manage.py migrate
#   docker run sbor worker           # = python3 manage.py worker
#   docker run -p 8000:8000 sbor     # = python3 manage.py run --no-worker (the API; migrations already applied)
#
# The entry point is the `sbor` console script (core.cli:entry), the very command line `manage.py` hands over to, so
# every `manage.py <command>` works as `docker run sbor <command>`, and `python3 manage.py <command>` works inside the
# container too (the install stamp is written at build time, so manage.py does not reinstall anything).

ARG PYTHON_VERSION=3.11

# ---------------------------------------------------------------------------------------------------------------------
# build: a virtual environment at /app/.venv with the dependencies (a cached layer) and then the project itself.
# ---------------------------------------------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /app
RUN python -m venv /app/.venv && /app/.venv/bin/pip install --upgrade pip

# The run-time dependencies alone first: this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && /app/.venv/bin/pip install -r /tmp/requirements.txt

# The project and the adapter distributions shipped beside it, installed the way manage.py installs them (editable,
# as a plain path entry), without the dev extras; then the stamp manage.py compares, so it never reinstalls here.
COPY . .
RUN /app/.venv/bin/pip install --no-deps --config-settings editable_mode=compat -e /app \
    && for dist in adapters/*/; do \
         if [ -f "$dist/pyproject.toml" ]; then \
           /app/.venv/bin/pip install --no-deps --config-settings editable_mode=compat -e "$dist" || exit 1; \
         fi; \
       done \
    && python -c "import manage; manage.STAMP.write_text(manage._fingerprint())" \
    && /app/.venv/bin/python -m compileall -q core plugins admin_ui \
    && rm -rf var .git

# ---------------------------------------------------------------------------------------------------------------------
# runtime: the same base, the venv and the code owned by root (read-only for the service), state in /var/lib/sbor.
# ---------------------------------------------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime

ARG SBOR_UID=10001
RUN groupadd --system --gid ${SBOR_UID} sbor \
    && useradd --system --uid ${SBOR_UID} --gid sbor --home-dir /var/lib/sbor --shell /usr/sbin/nologin sbor \
    && mkdir -p /var/lib/sbor/media \
    && chown -R sbor:sbor /var/lib/sbor

COPY --from=build /app /app

# Settings: SBOR_<SECTION>_<KEY> (core/settings.py). Listen on every interface inside the container; local state
# (generated secrets, the local media backend) under the writable /var/lib/sbor; JSON logs for the collector.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SBOR_ENV=production \
    SBOR_HTTP_HOST=0.0.0.0 \
    SBOR_HTTP_PORT=8000 \
    SBOR_VAR_DIR=/var/lib/sbor \
    SBOR_LOG_JSON=true

WORKDIR /app
USER sbor:sbor
VOLUME ["/var/lib/sbor"]
EXPOSE 8000

# The API's /health answers 200 when PostgreSQL and Redis answer, 503 otherwise. The worker has no HTTP port:
# compose and Kubernetes replace this check for it (compose.yaml, deploy/k8s/worker.yaml).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/health' % os.environ.get('SBOR_HTTP_PORT', '8000'); sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"

ENTRYPOINT ["sbor"]
CMD ["run", "--no-worker"]
