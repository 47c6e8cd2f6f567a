"""Write the secrets docker-compose.yml requires into its ``.env`` (mode 600), once.

docker-compose.yml has no default password or secret: each is ``${NAME:?...}``, so Compose
stops with a message naming a missing one. This script gives every missing, empty or
well-known placeholder value a fresh random one and leaves every other line as it is, so it is
safe to run again. It prints the names it wrote, never a value. Standard library only:

    python3 deploy/compose_secrets.py [--env-file PATH]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from pathlib import Path

SECRETS = ("MEMESNIPE_HMAC_SECRET", "CLICKHOUSE_PASSWORD", "GRAFANA_ADMIN_PASSWORD")
"""Every secret docker-compose.yml requires."""

PLACEHOLDERS = {"", "paper-hmac-secret-change-me", "change-me", "changeme", "admin", "memesnipe", "password"}
"""Values that are public (documented defaults), so never a secret."""

URL_SAFE = re.compile(r"^[A-Za-z0-9._~-]+$")
"""CLICKHOUSE_PASSWORD goes into the analytics DSN's userinfo unescaped."""

LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def _value(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return raw


def ensure(path: Path) -> list[str]:
    """Fill in the missing secrets of ``path``; return the names written."""
    lines = path.read_text().splitlines() if path.exists() else []
    found: dict[str, int] = {}
    for i, line in enumerate(lines):
        m = LINE.match(line)
        if m and m.group(1) in SECRETS:
            found[m.group(1)] = i
    written = []
    for name in SECRETS:
        i = found.get(name)
        current = _value(LINE.match(lines[i]).group(2)) if i is not None else ""  # type: ignore[union-attr]
        if name == "CLICKHOUSE_PASSWORD" and current and not URL_SAFE.match(current):
            raise SystemExit(
                f"{path}: CLICKHOUSE_PASSWORD may hold only A-Z a-z 0-9 . _ ~ - (it goes into a URL)"
            )
        if current.lower() not in PLACEHOLDERS:
            continue
        line = f"{name}={secrets.token_urlsafe(32)}"
        if i is None:
            lines.append(line)
        else:
            lines[i] = line
        written.append(name)
    if written or not path.exists():
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    os.chmod(path, 0o600)
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--env-file", type=Path, default=Path(__file__).resolve().parent.parent / ".env")
    args = p.parse_args(argv)
    written = ensure(args.env_file)
    if written:
        print(f"{args.env_file}: wrote {', '.join(written)}")
    else:
        print(f"{args.env_file}: every secret already set")
    return 0


if __name__ == "__main__":
    sys.exit(main())
