#syntax=docker/dockerfile:1.4
ARG REGISTRY="example/"
ARG VERSION=8.3
ARG FLAVOR=cli
FROM ${REGISTRY}php:${VERSION}${FLAVOR:+${VERSION:+-}}${FLAVOR} as base
ARG TARGETPLATFORM
SHELL ["bash", "-ex", "-c"]
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked,id=${TARGETPLATFORM} \
    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked,id=${TARGETPLATFORM} <<EOF
rm -f /etc/apt/apt.conf.d/docker-clean
apt-get -yqq update
apt-get -yqq install --no-install-recommends                  \
        python3                                               \
        python3-dev
EOF
RUN <<EOF
declare -A target=(["linux/amd64"]="x86_64" ["linux/arm64"]="aarch64")
echo ${target[${TARGETPLATFORM}]}
EOF
FROM base as builder
COPY --from=extra-context . /opt/extra/
RUN --mount=type=secret,id=mirrors,target=/etc/mirrors.yaml \
    <<EOF
set -ex
make --jobs 4
EOF
ENTRYPOINT []
CMD ["bash", "-l"]
USER 0
