FROM dockopt-test/busybox:latest
	RUN	echo tab
RUN echo "quoted \
 continuation"
ADD --checksum=sha256:abc https://example.com/a.tar.gz /tmp/
ARG A B=2
USER app:app
