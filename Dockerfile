# One image for every MemeSnipe process; docker-compose picks the command.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY memesnipe ./memesnipe
RUN pip install . && pip install "urllib3==1.26.13" "h11==0.14.0"
RUN useradd --create-home --uid 10001 memesnipe && mkdir -p /data && chown memesnipe /data
USER memesnipe
ENV MEMESNIPE_DATA_DIR=/data
ENTRYPOINT ["memesnipe"]
