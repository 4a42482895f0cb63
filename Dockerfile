# Multi-stage build of the `agora` binary.
# Build:  docker build -t agora .
# Run:    docker run -p 8080:8080 agora serve --seed-demo
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin agora \
    && cp target/release/agora /usr/local/bin/agora

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/agora --create-home agora
COPY --from=build /usr/local/bin/agora /usr/local/bin/agora
USER agora
WORKDIR /var/lib/agora
ENV AGORA_BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["agora"]
CMD ["serve"]
