"""Progress for long reads: a rich bar on a TTY, nothing when piped or with --quiet."""

from __future__ import annotations

import sys

from dockopt.image.scan import NoProgress


class RichProgress:
    def __init__(self) -> None:
        from rich.console import Console  # only on a terminal
        from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TransferSpeedColumn

        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                            TransferSpeedColumn(), console=Console(stderr=True), transient=True)
        self.task = None

    def __enter__(self) -> "RichProgress":
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def blob_started(self, key: str, size: int | None, description: str | None = None) -> None:
        label = key.replace("sha256:", "")[:12] if key.startswith("sha256:") else key.strip("/").split("/")[0][:12]
        self.task = self.bar.add_task(description or f"layer {label}", total=size)

    def advance(self, nbytes: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, nbytes)

    def blob_done(self, key: str) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
            self.task = None


class _Quiet(NoProgress):
    def __enter__(self) -> "_Quiet":
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def progress_for(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return _Quiet()
    return RichProgress()
