"""Who is acting, and through what."""

from __future__ import annotations

from dataclasses import dataclass

CHANNELS = ("api", "cli", "mcp", "web", "import", "system")


@dataclass(frozen=True)
class Actor:
    """The resource a write is attributed to, and the API user behind it when impersonating."""

    resource_id: int | None
    channel: str = "system"
    api_user_id: int | None = None
    security_level: str = "full"
    context: str | None = None  # on whose behalf (an agent and its human), kept in history

    @property
    def impersonating(self) -> bool:
        return self.api_user_id is not None and self.api_user_id != self.resource_id


SYSTEM = Actor(resource_id=None, channel="system")
