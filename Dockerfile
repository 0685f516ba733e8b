# leakwarden: one image for the API and the workers (see compose.yaml and README "Scale-out").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir '.[postgres]' \
 && useradd --system --uid 10001 --home-dir /app leakwarden
USER leakwarden
# keys (PII hash key, reveal key) come from mounted files; see compose.yaml
ENTRYPOINT ["leakwarden"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
