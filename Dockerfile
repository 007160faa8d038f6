# syntax=docker/dockerfile:1
#
# newsgraph in a container (docs/deployment.md): a wheel built and installed into a virtualenv, the
# bundled archive loaded at build time, then a slim runtime that runs as a user of its own and keeps
# the store on the volume /data (with the markdown in /data/news, as data/ holds it in the repository).
#
#   docker build -t newsgraph .
#   docker run --rm -p 8000:8000 newsgraph          # the bundled archive: http://127.0.0.1:8000/
#
# PYTHON_IMAGE lets a machine that cannot reach Docker Hub build from a mirror of the same image.
ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: the wheel, it and its dependencies in /opt/newsgraph/venv, the bundled store in /data ----
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gql ./gql
# A venv without pip, filled by the build stage's pip (--python): the runtime carries no installer. Every
# dependency ships binary wheels for CPython 3.11, so no compiler is needed. pip compiles the bytecode
# here, so the runtime's user never needs to write beside the code.
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && python -m venv --without-pip /opt/newsgraph/venv \
 && pip --python /opt/newsgraph/venv/bin/python install /wheels/newsgraph-*.whl
# The bundled archive (214 events), loaded at build time so that `docker run` serves at once. It is loaded
# from /data/news, the image's NEWSGRAPH_DATA, and its markdown is not kept: the first `load --prune
# /data/news` of an archive of yours (or a `serve` finding one mounted there) drops these events.
COPY data/news /data/news
RUN /opt/newsgraph/venv/bin/newsgraph load /data/news --db /data/newsgraph.json \
 && rm -rf /data/news /data/newsgraph.json.lock /data/newsgraph.json.listings /data/newsgraph.json.manifest

# ---- runtime ----
FROM ${PYTHON_IMAGE} AS runtime
ARG NEWSGRAPH_UID=10001
RUN groupadd --system --gid "${NEWSGRAPH_UID}" newsgraph \
 && useradd --system --uid "${NEWSGRAPH_UID}" --gid newsgraph --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin newsgraph
# The code: root's, read-only to the server. /data and the bundled store: the server's user's, so that a
# volume Docker creates (and fills from the image) can be written by a loading job.
COPY --from=build /opt/newsgraph /opt/newsgraph
COPY --from=build --chown=newsgraph:newsgraph /data /data
# The bundled store dated 1970: older than any archive, so a `serve` that finds markdown at /data/news loads it.
RUN touch --no-create --date=@0 /data/newsgraph.json
# The settings of docs/cli.md, as environment variables: a flag given to `docker run IMAGE serve ...` wins.
# NEWSGRAPH_DATA names a directory the image does not have: a server loads markdown only when there is an
# archive at /data/news (a volume of yours); read replicas point it at nothing (docs/deployment.md).
ENV PATH=/opt/newsgraph/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NEWSGRAPH_DB=/data/newsgraph.json \
    NEWSGRAPH_DATA=/data/news \
    NEWSGRAPH_HOST=0.0.0.0 \
    NEWSGRAPH_PORT=8000
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER ${NEWSGRAPH_UID}:${NEWSGRAPH_UID}
WORKDIR /data
VOLUME /data
EXPOSE 8000
# Healthy while /healthz answers 200: "ok", or "degraded" (the store file cannot be served and the last good
# archive still is; a restart would not help, it would refuse that file). Urllib raises on anything else.
# The start period covers a large archive's cold start (95 s at a million events, docs/performance.md).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % (os.environ.get('NEWSGRAPH_PORT') or 8000), timeout=4)"]
ENTRYPOINT ["newsgraph"]
CMD ["serve"]
