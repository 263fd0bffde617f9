"""The account app on the newsletters tests' committed database, mailing the SMTP stand-in."""

from tests.services.newsletters.conftest import (  # noqa: F401 (fixtures)
    committed,
    job_context,
    mail_env,
    mail_settings,
    newsletters_database,
    smtp,
)
