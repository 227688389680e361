"""A stand-in for the client's retry sleep: records each requested wait, never waits."""

from __future__ import annotations


class Sleeps(list[float]):
    """Records requested retry sleeps without sleeping: pass it as ``sleep=``, and its
    :meth:`async_sleep` as ``async_sleep=`` (or ``sleep=`` of the async client)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.append(seconds)
