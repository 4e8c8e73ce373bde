FROM dockopt-test/debian:bookworm
run echo one \
# a comment inside

    two
env A=1 B="two words" C=3
ENV legacy value with spaces
LABEL "x y"="1 2" z=3
ONBUILD RUN echo trigger
ONBUILD COPY --chown=1:1 a b
HEALTHCHECK --interval=5s --timeout=3s CMD curl -f http://localhost/ || exit 1
HEALTHCHECK NONE
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
EXPOSE 80/tcp 443
VOLUME ["/data"]
VOLUME /a /b
STOPSIGNAL SIGTERM
MAINTAINER someone <a@b.c>
CMD ["a"] trailing
ENTRYPOINT ['single']
RUN echo end \