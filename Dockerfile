# syntax=docker/dockerfile:1
#
# Vigil container image.
#
#   docker build --build-arg VIGIL_COMMIT="$(git rev-parse HEAD)" -t vigil .
#   docker run --rm -p 9633:9633 -e DATABASE_URL=postgresql://... -e REDIS_URL=redis://... vigil
#   docker run --rm -p 9633:9633 -v "$PWD/vigil.yml:/etc/vigil/vigil.yml:ro" vigil run --config /etc/vigil/vigil.yml
#
# Build stage: the official Swift image on Debian 12 (bookworm), the same OS as
# the runtime stage, so the system libraries match. Official tags read
# <version>-bookworm (e.g. swift:6.1-bookworm); we develop on Swift 6.3.
FROM swift:6.3-bookworm AS build

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpq-dev libhiredis-dev libmicrohttpd-dev zlib1g-dev libre2-dev libsnappy-dev pkg-config libcurl4-openssl-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# The whole package (see .dockerignore): SwiftPM checks every target's folder,
# tests included, even when building a single product.
COPY . .
# scripts/build-release: the release binary the README installs, with the Swift runtime and
# Foundation linked in (--static-swift-stdlib) and debug sections stripped; HTTPClient links
# the system's libcurl. The build context has no .git (.dockerignore), so the commit comes in
# as a build argument; build-release stamps it (its git_commit reads VIGIL_COMMIT), and
# `vigil --version` and vigil_build_info{revision} say "unknown" when it is not given.
ARG VIGIL_COMMIT=
RUN --mount=type=cache,target=/src/.build-release \
    VIGIL_COMMIT="$VIGIL_COMMIT" OUT=/out/vigil scripts/build-release

# Runtime stage: only the shared libraries vigil links against.
FROM debian:bookworm-slim

# The package list is shared with scripts/check-image, which builds this stage's world with
# debootstrap and runs the binary in it as the vigil user (curl is there for the HEALTHCHECK).
COPY docker/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && sed 's/#.*//' /tmp/runtime-packages.txt | xargs env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --system --user-group --home-dir /var/lib/vigil --create-home --shell /usr/sbin/nologin vigil

COPY --from=build /out/vigil /usr/local/bin/vigil
COPY rules/ /usr/share/vigil/rules/
COPY examples/vigil.yml /etc/vigil/vigil.yml

USER vigil
WORKDIR /var/lib/vigil
EXPOSE 9633
# Probes the default listen address; change it if you run vigil on another port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9633/-/healthy"]
ENTRYPOINT ["vigil"]
CMD ["run"]
