"""Built-in commands. Importing this package registers all of them."""

from importlib import import_module

for _mod in ("files", "text", "grep_sed", "awk", "jq", "misc", "patch", "coreutils2", "coreutils3",
             "bc", "fmt", "git", "dd", "ziparchive", "iconv", "csplit", "bzxz", "filetype",
             "zgrep"):
    try:
        import_module(f"{__name__}.{_mod}")
    except ModuleNotFoundError as e:  # a module still being written
        if e.name != f"{__name__}.{_mod}":
            raise
