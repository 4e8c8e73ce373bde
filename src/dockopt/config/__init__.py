"""The config file: its declared schema (`schema`) and finding/loading/checking it (`loading`)."""

from dockopt.config.loading import CANDIDATES, find_config, load_config, read_user_text, section

__all__ = ["CANDIDATES", "find_config", "load_config", "read_user_text", "section"]
