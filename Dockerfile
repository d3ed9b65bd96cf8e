# silkrail's tracking service with its dashboard, routing and GTFS-Realtime endpoints.
# compose.yaml runs it against PostgreSQL. Build: docker build -t silkrail .
# The test tests/test_wheel.py runs the RUN and CMD lines below in a fresh virtualenv.

FROM python:3.11-slim-bookworm AS wheel
WORKDIR /src
COPY pyproject.toml README.md LICENSE CHANGELOG.md ./
COPY src ./src
RUN python -m pip install --no-cache-dir build==1.2.2.post1 \
 && python -m build --wheel --outdir /dist . \
 && for w in /dist/silkrail-*.whl; do echo "${w}[service,postgres,fast]"; done > /dist/requirements.txt

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    SILKRAIL_HOME=/var/cache/silkrail
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/silkrail silkrail \
 && mkdir -p /var/cache/silkrail \
 && chown 10001:10001 /var/cache/silkrail
COPY --from=wheel /dist /dist
RUN python -m pip install --no-cache-dir -r /dist/requirements.txt \
 && rm -r /dist
USER 10001:10001
# the network and its routing tables go into the image's cache: the service starts in seconds
RUN silkrail network build && silkrail route Hanoi Moscow --mode rail > /dev/null
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
CMD ["silkrail", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
