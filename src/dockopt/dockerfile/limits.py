"""The size limits BuildKit puts on a Dockerfile, which dockopt applies too.

- A line (its bytes, a `\\r` before the `\\n` included) may hold at most 65,535 bytes: BuildKit
  reads the file with Go's `bufio.Scanner`, whose buffer is `bufio.MaxScanTokenSize` (64 KiB)
  and must hold the line with its `\\n`; a longer line fails the build with "dockerfile line
  greater than max allowed size of 65535" (`frontend/dockerfile/parser/parser.go`).
- The whole file travels from the client to the frontend as one gRPC message, whose size is
  capped at 16 MiB (`defaults.DefaultMaxRecvMsgSize = 16 << 20`): a larger Dockerfile cannot be
  built, so dockopt refuses to read one rather than hold it in memory.
"""

MAX_LINE_BYTES = 65535
MAX_DOCKERFILE_BYTES = 16 << 20
LINE_TOO_LONG = f"dockerfile line greater than max allowed size of {MAX_LINE_BYTES}"


def line_too_long(line: str) -> bool:
    """The line (without its `\\n`) is over BuildKit's limit, counted in UTF-8 bytes."""
    if len(line) <= MAX_LINE_BYTES // 4:  # at most 4 bytes per character: cannot be over
        return False
    return len(line) > MAX_LINE_BYTES or len(line.encode("utf-8", "surrogatepass")) > MAX_LINE_BYTES
