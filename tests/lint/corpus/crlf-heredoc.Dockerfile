FROM a
RUN <<EOF
x
EOF
RUN echo
