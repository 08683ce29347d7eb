FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 CROSSCHECK_DATA_DIR=/data
WORKDIR /app

# Apertium's Ukrainian-Russian pair: the multilingual encoder reads Ukrainian through it (embeddings/ukrainian.py).
RUN apt-get update -qq && apt-get install -y -qq apertium apertium-rus-ukr \
    && rm -rf /var/lib/apt/lists/*

# torch is pinned to the tested release; point PIP_EXTRA_INDEX_URL at a CPU-only wheel index for a small image.
ARG PIP_EXTRA_INDEX_URL=""
RUN pip install --no-cache-dir torch==2.13.0

COPY pyproject.toml README.md ./
COPY embeddings ./embeddings
COPY service ./service
COPY seeds ./seeds
RUN pip install --no-cache-dir '.[postgres]'
# The default encoder backend (ONNX int8) is made once at build time, so a container never exports on start.
RUN python -m embeddings.onnx export

EXPOSE 8000
VOLUME ["/data"]
# A deployment starts empty: the fictional sample articles of seeds/ are ingested only when asked for
# (docker run -e CROSSCHECK_DEMO_SEEDS=seeds/ ...), so a deleted article never comes back at a restart.
CMD ["sh", "-c", "if [ -n \"$CROSSCHECK_DEMO_SEEDS\" ]; then crosscheck ingest --quiet \"$CROSSCHECK_DEMO_SEEDS\" || exit 1; fi; exec crosscheck serve --host 0.0.0.0 --port 8000"]
