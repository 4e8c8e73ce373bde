# escape=`
FROM dockopt-test/busybox:latest
RUN echo a `
  b `
  c
WORKDIR C:\\app
