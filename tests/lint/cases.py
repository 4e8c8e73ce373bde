"""Rule test cases: for each rule, Dockerfiles where it fires, where it does not, and the exact
fixed text. The parser-agreement test also runs every Dockerfile here through BuildKit's parser.
"""

from __future__ import annotations

from dataclasses import dataclass

B = "FROM dockopt-test/debian:bookworm\n"


def BA(name: str) -> str:
    return f"FROM dockopt-test/debian:bookworm AS {name}\n"


@dataclass(frozen=True)
class Case:
    rule: str
    fires: str
    clean: str
    fixed: str | None = None
    """The text after `--fix` with only this rule enabled (None: the rule has no fix here)."""
    unsafe: bool = False
    """The fix needs --fix-unsafe."""


CASES: list[Case] = [
    # ------------------------------------------------------------------ size
    Case("DO101", B + "RUN apt-get update && apt-get install -y --no-install-recommends curl\n",
         B + "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n",
         B + "RUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n"),
    Case("DO101", B + "RUN apt-get update \\\n    && apt-get install -y --no-install-recommends curl\n",
         "# syntax=docker/dockerfile:1\n" + B + "RUN --mount=type=cache,target=/var/lib/apt \\\n"
         "    --mount=type=cache,target=/var/cache/apt \\\n"
         "    apt-get update && apt-get install -y --no-install-recommends curl\n",
         B + "RUN apt-get update \\\n    && apt-get install -y --no-install-recommends curl \\\n"
         "    && apt-get clean && rm -rf /var/lib/apt/lists/*\n"),
    Case("DO101", B + "RUN apt-get update && \\\n\tapt-get install -y --no-install-recommends curl\n",
         B + "RUN --mount=type=cache,target=/var/lib/apt/lists --mount=type=tmpfs,target=/var/cache/apt "
         "apt-get update && apt-get install -y --no-install-recommends curl\n",
         B + "RUN apt-get update && \\\n\tapt-get install -y --no-install-recommends curl && \\\n\tapt-get clean && rm -rf /var/lib/apt/lists/*\n"),
    Case("DO101", B + "RUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get clean\n",
         B + "RUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n",
         B + "RUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n"),
    Case("DO101", B + "RUN set -eux; apt-get update; apt-get install -y --no-install-recommends curl;\n",
         B + "RUN set -eux; apt-get update; apt-get install -y --no-install-recommends curl; rm -rf /var/lib/apt/lists/*\n",
         B + "RUN set -eux; apt-get update; apt-get install -y --no-install-recommends curl; apt-get clean && rm -rf /var/lib/apt/lists/*\n"),
    # issue 10: a cache mount on /var/lib/apt alone leaves the downloaded .debs in /var/cache/apt
    Case("DO101", B + "RUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y --no-install-recommends curl\n",
         B + "RUN --mount=type=cache,target=/var/lib/apt --mount=type=cache,target=/var/cache/apt "
         "apt-get update && apt-get install -y --no-install-recommends curl\n"),
    Case("DO101", B + "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/cache/apt/*\n",
         B + "RUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get dist-clean\n"),
    Case("DO101", B + "RUN aptitude update && aptitude install -y curl\n",
         B + "RUN aptitude update && aptitude install -y curl && rm -rf /var/lib/apt/lists/*\n"),
    # issue 10: PIP_NO_CACHE_DIR on the command, exported in the RUN, or inherited from a parent stage
    Case("DO101", "FROM python:3.12\nRUN PIP_NO_CACHE_DIR=0 pip install flask\n",
         "FROM python:3.12\nRUN PIP_NO_CACHE_DIR=1 pip install flask\n"),
    Case("DO101", "FROM python:3.12\nRUN pip install flask && export PIP_NO_CACHE_DIR=1\n",
         "FROM python:3.12\nRUN export PIP_NO_CACHE_DIR=1 && pip install flask\n"),
    Case("DO101", "FROM python:3.12 AS base\nARG PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask\n",
         "FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask\n"),
    Case("DO101", "FROM alpine:3.20\nRUN apk add curl\n", "FROM alpine:3.20\nRUN apk add --no-cache curl\n",
         "FROM alpine:3.20\nRUN apk add --no-cache curl\n"),
    Case("DO101", "FROM fedora:40\nRUN dnf install -y gcc\n", "FROM fedora:40\nRUN dnf install -y gcc && dnf clean all\n",
         "FROM fedora:40\nRUN dnf install -y gcc && dnf clean all\n"),
    Case("DO101", "FROM centos:7\nRUN yum install -y gcc\n", "FROM centos:7\nRUN yum install -y gcc && rm -rf /var/cache/yum\n",
         "FROM centos:7\nRUN yum install -y gcc && yum clean all\n"),
    Case("DO101", "FROM opensuse/leap:15\nRUN zypper install -y curl\n",
         "FROM opensuse/leap:15\nRUN zypper install -y curl && zypper clean -a\n",
         "FROM opensuse/leap:15\nRUN zypper install -y curl && zypper clean -a\n"),
    Case("DO101", "FROM python:3.12-slim\nRUN pip install flask\n", "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\n",
         "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\n"),
    Case("DO101", "FROM python:3.12-slim\nRUN pip3 install -r requirements.txt\n",
         "FROM python:3.12-slim\nENV PIP_NO_CACHE_DIR=1\nRUN pip3 install -r requirements.txt\n",
         "FROM python:3.12-slim\nRUN pip3 install --no-cache-dir -r requirements.txt\n"),
    Case("DO101", "FROM python:3.12-slim\nRUN pip install flask\n",
         "# syntax=docker/dockerfile:1\nFROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache pip install flask\n",
         "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\n"),
    Case("DO101", "FROM node:20-slim\nRUN npm ci\n", "FROM node:20-slim\nRUN npm ci && npm cache clean --force\n",
         "FROM node:20-slim\nRUN npm ci && npm cache clean --force\n"),
    Case("DO101", "FROM node:20-slim\nRUN yarn install --frozen-lockfile\n",
         "FROM node:20-slim\nRUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install --frozen-lockfile\n",
         "FROM node:20-slim\nRUN yarn install --frozen-lockfile && yarn cache clean\n"),
    Case("DO101", "FROM ruby:3.3-slim\nRUN gem install rails\n", "FROM ruby:3.3-slim\nRUN gem install --no-document rails\n",
         "FROM ruby:3.3-slim\nRUN gem install --no-document rails\n"),
    Case("DO101", "FROM node:20 AS build\nRUN npm ci\nFROM node:20-slim\nRUN npm ci\n",
         "FROM node:20 AS build\nRUN npm ci\nFROM node:20-slim\nCOPY --from=build /app /app\n",
         "FROM node:20 AS build\nRUN npm ci\nFROM node:20-slim\nRUN npm ci && npm cache clean --force\n"),
    Case("DO101", "# syntax=docker/dockerfile:1\n" + B + "RUN apt-get update && apt-get install -y --no-install-recommends curl\n",
         "# syntax=docker/dockerfile:1\n" + B + "RUN --mount=type=cache,target=/var/lib/apt,sharing=locked "
         "--mount=type=cache,target=/var/cache/apt,sharing=locked apt-get update && apt-get install -y --no-install-recommends curl\n",
         "# syntax=docker/dockerfile:1\n" + B + "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked "
         "--mount=type=cache,target=/var/lib/apt/lists,sharing=locked apt-get update && apt-get install -y --no-install-recommends curl\n"),
    Case("DO101", "FROM python:3.12-slim\nRUN <<EOF\npip install flask\nEOF\n",
         "FROM python:3.12-slim\nRUN <<EOF\npip install --no-cache-dir flask\nEOF\n",
         "FROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache/pip,sharing=locked <<EOF\npip install flask\nEOF\n"),
    Case("DO102", B + "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
         B + "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n",
         B + "RUN apt-get update && apt-get install --no-install-recommends -y curl && rm -rf /var/lib/apt/lists/*\n"),
    Case("DO102", B + "RUN bash -c \"apt-get update && apt-get install -y curl\"\n",
         B + "RUN bash -c \"apt-get update && apt-get install -y --no-install-recommends curl\"\n"),
    Case("DO102", B + "RUN apt-get update && \\\n    apt-get -y install \\\n      curl wget\n",
         B + "RUN apt-get -o APT::Install-Recommends=false install -y curl\n",
         B + "RUN apt-get update && \\\n    apt-get -y install --no-install-recommends \\\n      curl wget\n"),
    Case("DO103", B + "RUN apt-get update\nRUN apt-get install -y --no-install-recommends curl\n",
         B + "RUN apt-get update && apt-get install -y --no-install-recommends curl\n",
         B + "RUN apt-get update && \\\n    apt-get install -y --no-install-recommends curl\n"),
    Case("DO103", B + "RUN apt-get update -qq\nCOPY sources.list /etc/apt/\nRUN apt-get install -y --no-install-recommends curl\n",
         B + "COPY sources.list /etc/apt/\nRUN apt-get update -qq && apt-get install -y --no-install-recommends curl\n",
         B + "COPY sources.list /etc/apt/\nRUN apt-get update -qq && apt-get install -y --no-install-recommends curl\n"),
    Case("DO104", B + "RUN curl -fsSLo /tmp/app.tgz https://example.com/app.tgz\nRUN tar -xzf /tmp/app.tgz -C /opt\n"
         "RUN rm /tmp/app.tgz\n",
         B + "RUN curl -fsSLo /tmp/app.tgz https://example.com/app.tgz && tar -xzf /tmp/app.tgz -C /opt && rm /tmp/app.tgz\n",
         B + "RUN curl -fsSLo /tmp/app.tgz https://example.com/app.tgz && \\\n    tar -xzf /tmp/app.tgz -C /opt && \\\n"
         "    rm /tmp/app.tgz\n"),
    Case("DO104", B + "WORKDIR /tmp\nRUN wget https://example.com/pkg/tool-1.2.tar.gz\nRUN tar xf tool-1.2.tar.gz && rm tool-1.2.tar.gz\n",
         B + "WORKDIR /tmp\nRUN wget https://example.com/pkg/tool-1.2.tar.gz && tar xf tool-1.2.tar.gz && rm tool-1.2.tar.gz\n",
         B + "WORKDIR /tmp\nRUN wget https://example.com/pkg/tool-1.2.tar.gz && \\\n    tar xf tool-1.2.tar.gz && rm tool-1.2.tar.gz\n"),
    Case("DO105", B + "COPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt && rm /tmp/app.tar.gz\n",
         B + "RUN --mount=type=bind,source=app.tar.gz,target=/tmp/app.tar.gz tar -xzf /tmp/app.tar.gz -C /opt\n"),
    Case("DO105", B + "WORKDIR /build\nCOPY installer.sh .\nRUN sh installer.sh\nRUN rm -rf /build\n",
         B + "WORKDIR /build\nCOPY installer.sh .\nRUN sh installer.sh\n"),
    Case("DO105", B + "WORKDIR /src\nRUN git clone --depth 1 https://example.com/tool.git && make -C tool\nRUN rm -rf /src/tool\n",
         B + "WORKDIR /src\nRUN git clone --depth 1 https://example.com/tool.git && make -C tool && rm -rf tool\n"),
    Case("DO105", BA("b") + "RUN echo x > /out.txt\nFROM dockopt-test/busybox:latest\nCOPY --from=b /out.txt /tmp/\nRUN rm /tmp/out.txt\n",
         BA("b") + "RUN echo x > /out.txt\nFROM dockopt-test/busybox:latest\nCOPY --from=b /out.txt /tmp/\n"),
    Case("DO105", B + "RUN curl -fsSL https://example.com/a > /tmp/big.bin\nRUN rm /tmp/big.bin\n",
         B + "RUN curl -fsSL https://example.com/a > /tmp/big.bin && rm /tmp/big.bin\n"),
    Case("DO106", B + "RUN groupadd app\nRUN useradd -g app app\n", B + "RUN groupadd app && useradd -g app app\n",
         B + "RUN groupadd app && \\\n    useradd -g app app\n"),
    Case("DO106", B + "RUN set -eux; \\\n    groupadd app\nRUN useradd -g app app\n",
         B + "RUN groupadd app\nUSER app\nRUN id\n",
         B + "RUN set -eux; \\\n    groupadd app && \\\n    useradd -g app app\n"),
    Case("DO107", B + "ADD app.py /app/\n", B + "ADD rootfs.tar.gz /\n", B + "COPY app.py /app/\n"),
    Case("DO107", B + "add --chown=1:1 conf/ /etc/app/\n", B + "COPY conf/ /etc/app/\n", B + "copy --chown=1:1 conf/ /etc/app/\n"),
    Case("DO108", B + "ADD https://example.com/app.tar.gz /tmp/\n", B + "ADD vendor.tar.xz /opt/\n"),
    Case("DO109", "FROM python:3.12\nUSER 1000\n", "FROM python:3.12-slim\nUSER 1000\n", "FROM python:3.12-slim\nUSER 1000\n", unsafe=True),
    Case("DO109", "FROM node:20-bookworm AS app\nUSER node\n", "FROM node:20-bookworm-slim\nUSER node\n",
         "FROM node:20-bookworm-slim AS app\nUSER node\n", unsafe=True),
    Case("DO109", "FROM rust:1.78-bookworm\nUSER 1\n", "FROM ubuntu:24.04\nUSER 1\n", "FROM rust:1.78-slim-bookworm\nUSER 1\n",
         unsafe=True),
    Case("DO109", "FROM eclipse-temurin:21-jdk\nUSER 1\n", "FROM eclipse-temurin:21-jre\nUSER 1\n",
         "FROM eclipse-temurin:21-jre\nUSER 1\n", unsafe=True),
    Case("DO109", "FROM golang:1.22 AS build\nFROM debian:12\nUSER 1\n", "FROM golang:1.22 AS build\nFROM debian:12-slim\nUSER 1\n",
         "FROM golang:1.22 AS build\nFROM debian:12-slim\nUSER 1\n", unsafe=True),
    Case("DO110", B + "RUN apt-get update && apt-get install -y --no-install-recommends gcc make\n",
         B + "AS build\nRUN apt-get update && apt-get install -y --no-install-recommends gcc make\n"
         "FROM dockopt-test/debian:bookworm\nCOPY --from=build /out /out\n"),
    Case("DO110", "FROM golang:1.22\nCOPY . .\nRUN go build -o /app .\nCMD [\"/app\"]\n",
         "FROM golang:1.22 AS build\nCOPY . .\nRUN go build -o /app .\nFROM dockopt-test/busybox:latest\nCOPY --from=build /app /app\n"),
    Case("DO110", "FROM alpine:3.20\nRUN apk add --no-cache build-base\n",
         "FROM alpine:3.20\nRUN apk add --no-cache --virtual .deps build-base && make && apk del .deps\n"),
    # ------------------------------------------------------------------ security
    Case("DO201", B + "CMD [\"sleep\", \"1\"]\n", B + "USER 1000\nCMD [\"sleep\", \"1\"]\n"),
    Case("DO201", B + "USER app\nRUN id\nUSER root\n", "FROM base AS b\nUSER app\nFROM b\nRUN id\n"),
    Case("DO202", B + "ENV API_TOKEN=3f9a7c1e\n", B + "ENV API_TOKEN_FILE=/run/secrets/token\n"),
    Case("DO202", B + "ARG DB_PASSWORD\n", B + "ARG DB_USER=app\n"),
    Case("DO202", B + "ARG NPM_TOKEN\n", B + "ENV TOKENIZERS_PARALLELISM=false PASSWORD_FILE=/run/secrets/pw\n"),
    Case("DO202", B + "ENV AWS_KEY=AKIAABCDEFGHIJKLMNOP\n", B + "ENV HOME=/home/app\n"),
    Case("DO203", B + "RUN curl -fsSL https://example.com/install.sh | sh\n",
         B + "RUN curl -fsSLo /tmp/i.sh https://example.com/install.sh && sha256sum -c i.sha && sh /tmp/i.sh\n"),
    Case("DO203", B + "RUN wget -qO- https://example.com/x | sudo bash -s -- -y\n", B + "RUN wget -qO- https://example.com/x | tar -x\n"),
    Case("DO203", B + "RUN sh -c \"$(curl -fsSL https://example.com/i.sh)\"\n", B + "RUN sh -c \"echo hi\"\n"),
    Case("DO204", B + "RUN sudo apt-get update\n", B + "RUN apt-get update\n"),
    Case("DO205", "FROM debian\nUSER 1\n", "FROM debian:12.5-slim\nUSER 1\n"),
    Case("DO205", "FROM debian:latest\nUSER 1\n", "FROM debian@sha256:" + "a" * 64 + "\nUSER 1\n"),
    Case("DO205", "ARG BASE=debian\nFROM $BASE\nUSER 1\n", "ARG TAG=12\nFROM debian:${TAG}\nUSER 1\n"),
    Case("DO206", "FROM registry.example.net/tools/python:3.12\nUSER 1\n", "FROM ghcr.io/org/python:3.12\nUSER 1\n"),
    Case("DO207", "FROM golang:1.22 AS build\nFROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl "
         "&& rm -rf /var/lib/apt/lists/*\nUSER 1\n",
         "FROM debian:12-slim AS build\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
         "FROM debian:12-slim\nCOPY --from=build /x /x\nUSER 1\n"),
    Case("DO207", "FROM debian:12 AS b\nFROM debian:12-slim\nRUN apt-get install -y --no-install-recommends gcc\n",
         "FROM debian:12-slim\nRUN apt-get install -y --no-install-recommends curl && curl -o /a https://x && "
         "apt-get purge -y curl\n"),
    Case("DO208", B + "RUN apt-get update && apt-get upgrade -y\n", B + "RUN apt-get update && apt-get install -y --no-install-recommends curl\n"),
    Case("DO208", "FROM alpine:3.20\nRUN apk upgrade --no-cache\n", "FROM alpine:3.20\nRUN apk add --no-cache curl\n"),
    Case("DO209", B + "RUN chmod -R 777 /app\n", B + "RUN chmod 1777 /scratch && chmod -R 755 /app\n"),
    Case("DO209", B + "COPY --chmod=0777 run.sh /\n", B + "COPY --chmod=0755 run.sh /\n"),
    Case("DO209", B + "RUN chmod o+w /data\n", B + "RUN chmod u+w /data\n"),
    Case("DO210", B + "RUN wget --no-check-certificate https://example.com/a\n", B + "RUN wget https://example.com/a\n"),
    Case("DO210", B + "RUN curl -kfsSL https://example.com/a -o /a\n", B + "RUN curl -fsSL https://example.com/a -o /a\n"),
    Case("DO210", B + "RUN pip install --trusted-host pypi.org flask\n", B + "RUN pip install flask\n"),
    Case("DO210", B + "ENV NODE_TLS_REJECT_UNAUTHORIZED=0\n", B + "ENV NODE_ENV=production\n"),
    # ------------------------------------------------------------------ speed
    Case("DO301", B + "COPY . /app\nRUN apt-get update && apt-get install -y --no-install-recommends libpq5\n",
         B + "RUN apt-get update && apt-get install -y --no-install-recommends libpq5\nCOPY . /app\n"),
    Case("DO302", "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n",
         "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n"),
    Case("DO302", "FROM node:20-slim\nCOPY ./ /app/\nRUN npm ci\n",
         "FROM node:20-slim\nCOPY package.json package-lock.json /app/\nRUN npm ci\nCOPY . /app/\n"),
    Case("DO302", "FROM golang:1.22\nCOPY . .\nRUN go mod download\n",
         "FROM golang:1.22\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\n"),
    Case("DO303", B + "RUN apt-get update\nRUN apt-get install -y --no-install-recommends curl\n",
         B + "RUN apt-get update && apt-get install -y --no-install-recommends curl\nRUN apt-get update && apt-get install -y wget\n"),
    Case("DO304", B + "ARG GIT_COMMIT\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n",
         B + "RUN apt-get update && apt-get install -y --no-install-recommends curl\nARG GIT_COMMIT\nLABEL rev=$GIT_COMMIT\n"),
    # ------------------------------------------------------------------ correctness
    Case("DO305", B + "WORKDIR /app\nCOPY . .\nRUN useradd --system app && mkdir -p /data\n",
         B + "RUN useradd --system app && mkdir -p /data\nWORKDIR /app\nCOPY . .\nRUN make\n"),
    Case("DO305", "FROM python:3.12-slim\nCOPY . /app\nRUN pip install --no-cache-dir gunicorn==22.0\n",
         "FROM python:3.12-slim\nCOPY . /app\nRUN pip install --no-cache-dir -r /app/requirements.txt\n"),
    Case("DO400", B + "RUNN echo hi\nRUN echo still linted\n", B + "RUN echo hi\n"),
    Case("DO400", B + "ENV A=1 B\n", B + "ENV A=1 B=2\n"),
    Case("DO400", B + "RUN cat <<EOF\nnever ends\n", B + "RUN cat <<EOF\nends\nEOF\n"),
    Case("DO400", "RUN echo before from\n" + B, "ARG X=1\n" + B),
    Case("DO400", "# only a comment\n", B),
    Case("DO400", "ARG X=1\n", "ARG X=1\n" + B),
    Case("DO401", B + "CMD python app.py\n", B + "CMD [\"python\", \"app.py\"]\n", B + "CMD [\"python\", \"app.py\"]\n"),
    Case("DO401", B + "ENTRYPOINT /usr/bin/app --port 80\n", B + "ENTRYPOINT [\"/usr/bin/app\"]\n",
         B + "ENTRYPOINT [\"/usr/bin/app\", \"--port\", \"80\"]\n"),
    Case("DO401", B + "CMD echo $HOME | tee /x\n", B + "CMD [\"sh\", \"-c\", \"echo $HOME\"]\n"),
    Case("DO401", B + "CMD FOO=1 app --x\n", B + "CMD [\"app\"]\n"),
    Case("DO401", B + "CMD exec nginx -g 'daemon off;'\n", B + "CMD [\"nginx\", \"-g\", \"daemon off;\"]\n",
         B + "CMD [\"nginx\", \"-g\", \"daemon off;\"]\n"),
    Case("DO402", B + "WORKDIR app\n", B + "WORKDIR /app\nWORKDIR $HOME/x\n"),
    Case("DO403", B + "RUN cd /app && make\n", B + "WORKDIR /app\nRUN make\n"),
    Case("DO404", B + "RUN curl -fsSL https://example.com/a.tgz | tar -xz\n",
         B + "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl -fsSL https://example.com/a.tgz | tar -xz\n"),
    Case("DO404", B + "RUN echo a | wc -l\n", B + "RUN set -o pipefail && echo a | wc -l\n"),
    Case("DO404", "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN Get-ChildItem | Select-Object Name\n",
         "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
         "SHELL [\"powershell\", \"-Command\"]\nRUN Get-ChildItem | Select-Object Name\n"),
    Case("DO405", BA("build") + BA("build"), BA("build") + BA("test")),
    Case("DO406", BA("build") + "FROM dockopt-test/busybox:latest\nCOPY --from=biuld /a /a\n",
         BA("build") + "FROM dockopt-test/busybox:latest\nCOPY --from=build /a /a\nCOPY --from=nginx:1.27 /etc/nginx /n\n"
         "COPY --from=composer /usr/bin/composer /usr/bin/\n"),
    Case("DO406", BA("build") + "COPY --from=final /a /a\n" + BA("final"), BA("build") + BA("final") + "COPY --from=build /a /a\n"),
    Case("DO406", B + "COPY --from=1 /a /a\n" + B, BA("a") + B + "COPY --from=0 /a /a\n"),
    Case("DO407", B + "MAINTAINER Jane <jane@example.com>\n", B + "LABEL maintainer=\"Jane <jane@example.com>\"\n",
         B + "LABEL maintainer=\"Jane <jane@example.com>\"\n"),
    Case("DO408", B + "CMD [\"a\"]\nCMD [\"b\"]\n", B + "CMD [\"b\"]\n" + B + "CMD [\"c\"]\n"),
    Case("DO409", B + "EXPOSE 80:8080\n", B + "EXPOSE 80 443/tcp 53/udp 8000-8010\n"),
    Case("DO409", B + "EXPOSE 70000\n", B + "ARG PORT=8080\nEXPOSE $PORT\n"),
    Case("DO410", B + "RUN echo a \\\n\n    b\n", B + "RUN echo a \\\n    b\n"),
    # issue 10 -----------------------------------------------------------------------------
    Case("DO107", B + "ADD \"app.py\" /app/\n", B + "ADD \"rootfs.tar.gz\" /\n", B + "COPY \"app.py\" /app/\n"),
    Case("DO107", B + "ADD 'conf' /etc/app/\n", B + "ADD 'https://example.com/a.txt' /a\n", B + "COPY 'conf' /etc/app/\n"),
    Case("DO404", B + "SHELL [\"/bin/sh\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl -fsSL https://example.com/a | tar -xz\n",
         B + "SHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN curl -fsSL https://example.com/a | tar -xz\n"),
    Case("DO404", B + "SHELL [\"/bin/bash\", \"-e\", \"-c\"]\nRUN curl -fsSL https://example.com/a | tar -xz\n",
         B + "SHELL [\"/bin/bash\", \"-euxo\", \"pipefail\", \"-c\"]\nRUN curl -fsSL https://example.com/a | tar -xz\n"),
    Case("DO110", B + "RUN set -eux; savedAptMark=\"$(apt-mark showmanual)\"; apt-get update; "
         "apt-get install -y --no-install-recommends gcc make; make -C /src; apt-mark auto '.*' > /dev/null; "
         "apt-mark manual $savedAptMark; apt-get purge -y; rm -rf /var/lib/apt/lists/*\n",
         B + "RUN set -eux; savedAptMark=\"$(apt-mark showmanual)\"; apt-get update; "
         "apt-get install -y --no-install-recommends gcc make; make -C /src; apt-mark auto '.*' > /dev/null; "
         "apt-mark manual $savedAptMark; apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; "
         "rm -rf /var/lib/apt/lists/*\n"),
    Case("DO201", B + "USER app\nUSER root:root\n", B + "USER root\nUSER app:root\n"),
    Case("DO201", B + "USER 0:0\n", B + "USER 10001:0\n"),

]

# The naive apt Dockerfile of the engine test (built before and after --fix).
NAIVE_APT = (
    "FROM dockopt-test/debian:bookworm\n"
    "# tools for the app\n"
    "RUN apt-get update\n"
    "RUN apt-get install -y curl\n"
    "CMD curl --version\n"
)


# Dockerfiles of the CLI tests and of the other rule tests.
CLI_NAIVE = ("FROM dockopt-test/debian:bookworm\nRUN apt-get update\n"
             "RUN apt-get install -y curl\nCMD curl --version\n")
CLI_CLEAN = "FROM dockopt-test/debian:bookworm\nUSER 1000\nCMD [\"true\"]\n"
CLI_LOW = "FROM dockopt-test/debian:bookworm\nUSER 1\nWORKDIR app\n"
CRLF_COMMENTS = ("# build image\r\nFROM dockopt-test/debian:bookworm\r\n# refresh lists\r\nRUN apt-get update\r\n"
                 "RUN apt-get install -y curl \\\r\n    # the tool\r\n    wget\r\nCMD run --now\r\n")
CRLF_COMMENTS_FIXED = (
    "# build image\r\nFROM dockopt-test/debian:bookworm\r\n# refresh lists\r\nRUN apt-get update && \\\r\n"
    "    apt-get install --no-install-recommends -y curl \\\r\n    # the tool\r\n    wget && \\\r\n"
    "    apt-get clean && rm -rf /var/lib/apt/lists/*\r\nCMD [\"run\", \"--now\"]\r\n")
HEREDOC_APT = "FROM dockopt-test/debian:bookworm\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n"
OTHER = [CLI_NAIVE, CLI_CLEAN, CLI_LOW, CRLF_COMMENTS, CRLF_COMMENTS_FIXED, HEREDOC_APT]


def all_dockerfiles() -> list[str]:
    """Every Dockerfile text used by the lint tests (for the BuildKit agreement test)."""
    out = [NAIVE_APT, *OTHER]
    for case in CASES:
        out.extend(t for t in (case.fires, case.clean, case.fixed) if t is not None)
    return out
CASES += [
    # false alarms found on the official images (docker-library/postgres, nginxinc/docker-nginx)
    Case("DO102", B + "RUN if apt-get install -s curl; then apt-get install -y curl; fi\n",
         B + "RUN if apt-get install -s curl > /dev/null; then apt-get install -y --no-install-recommends curl; fi\n"),
    Case("DO209", B + "RUN tempDir=\"$(mktemp -d)\" && chmod 777 \"$tempDir\" && make -C \"$tempDir\"\n",
         B + "RUN tempDir=\"$(mktemp -d)\" && chmod 777 \"$tempDir\" && make -C \"$tempDir\" && rm -rf \"$tempDir\"\n"),
]
CASES += [
    # docker-library/redis and ruby (alpine): run-time deps added offline after the build
    Case("DO101", "FROM alpine:3.20\nRUN apk add --virtual .rundeps $runDeps\n",
         "FROM alpine:3.20\nRUN apk add --no-network --virtual .rundeps $runDeps && apk del --no-network .build-deps\n"),
]
