FROM dockopt-test/debian:bookworm
RUN <<EOF
apt-get update
apt-get install -y curl
EOF
RUN <<EOF1 cat <<-"EOF2" > /out
first
EOF1
	second
	EOF2
COPY <<EOF /etc/motd
hello
EOF
COPY <<'X' <<Y /dst/
$HOME
X
y
Y
