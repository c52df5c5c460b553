# goldenpath in a container, built from Debian 12 packages only.
#
#   docker build -t goldenpath .
#   docker run --rm -e GOLDENPATH_JWT_SECRET -v "$PWD/out:/out" goldenpath \
#       run /opt/goldenpath/scenarios/golden_path.yaml --target wss://staging.example.com/ws \
#       --json /out/report.json
#
# BASE is any Debian 12 image: debian:12-slim for users; the project's tests pass an image
# they made with debootstrap, since no registry is reachable where they run.
ARG BASE=debian:12-slim

FROM ${BASE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake make gcc libc6-dev pkg-config libwebsockets-dev libjansson-dev libyaml-dev \
      libssl-dev libev-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake ./cmake
COPY harness ./harness
COPY fixtures ./fixtures
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DGP_TESTS=OFF \
 && cmake --build build -j"$(nproc)" --target goldenpath gp-refserver

FROM ${BASE}
# The runtime libraries of the -dev packages above, and the CA bundle for wss:// targets.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libwebsockets17 libwebsockets-evlib-ev libjansson4 libyaml-0-2 libssl3 libev4 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --home-dir /work --create-home goldenpath
COPY --from=build /src/build/goldenpath /src/build/gp-refserver /usr/local/bin/
COPY scenarios /opt/goldenpath/scenarios
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["goldenpath"]
CMD ["--help"]
