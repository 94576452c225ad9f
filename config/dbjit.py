"""Whether PostgreSQL's JIT compiler is already off for a connection by the settings
(`DATABASE_JIT`, off by default), so code that turns it off around one statement can skip
the extra round trips."""

from django.db import connections


def jit_off_by_settings(alias: str = "default") -> bool:
    options = connections[alias].settings_dict.get("OPTIONS", {}).get("options", "")
    return "jit=off" in options.replace(" ", "")
