"""What a job handler receives: the process's shared parts, and which job it is running.

The worker opens them through the platform bootstrap
(`shared/infrastructure/bootstrap.py`) and hands each handler this view of it:
the settings, the sessionmaker and the federation HTTP client.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.config import Settings
from shared.infrastructure.mail import Mail, make_mailer, message_id_for


class JobPlatform(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def federation(self) -> FederationClient: ...


@dataclass(frozen=True, slots=True)
class JobContext:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    federation: FederationClient
    worker: str = ""
    # Set for the job being run (0 outside a job, e.g. for a worker loop).
    job_id: int = 0
    attempt: int = 0

    @classmethod
    def of(cls, platform: JobPlatform, worker: str = "") -> JobContext:
        return cls(platform.settings, platform.sessions, platform.federation, worker)

    def for_job(self, job_id: int, attempt: int) -> JobContext:
        return replace(self, job_id=job_id, attempt=attempt)

    async def send_mail(self, mail: Mail) -> None:
        """Send `mail` with this job's own Message-ID: a worker killed after the mail
        server took the message, but before the job was marked done, sends it again on
        the retry, and that copy is the same message, not a second one."""
        if self.job_id and mail.message_id is None:
            sender = self.settings.mail.from_address
            mail = replace(mail, message_id=message_id_for(f"job-{self.job_id}", sender))
        await make_mailer(self.settings.mail).send(mail)
