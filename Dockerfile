# crisisbot: bot + lookup API on the embedded SQLite default.
FROM python:3.11-slim

# gcc builds pdqhash from source and hashdb._hamming (the native Hamming search).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc g++ \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 crisisbot
WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY hashdb ./hashdb
COPY protocols ./protocols
COPY bot ./bot
COPY crisisbot ./crisisbot
RUN pip install --no-cache-dir .

USER 10001
WORKDIR /home/crisisbot
ENV CRISISBOT_DB=sqlite:////home/crisisbot/data/crisisbot.db
RUN mkdir -p /home/crisisbot/data
VOLUME ["/home/crisisbot/data"]
EXPOSE 8080
CMD ["crisisbot", "run", "--host", "0.0.0.0", "--port", "8080"]
