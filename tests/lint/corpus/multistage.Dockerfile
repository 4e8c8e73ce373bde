ARG BASE=dockopt-test/debian
ARG TAG=bookworm
FROM ${BASE}:${TAG} AS build
RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt \
    apt-get update && apt-get install -y gcc

FROM --platform=$BUILDPLATFORM dockopt-test/busybox:latest AS final
COPY --from=build --chown=1000:1000 --chmod=755 --link /usr/bin/gcc /gcc
COPY --parents --exclude=*.tmp a/ b/ /dst/
USER 1000
CMD ["/gcc", "--version"]
