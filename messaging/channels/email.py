"""Email through Django's email framework (SMTP in production, a file in the embedded runtime).

MESSAGING_EMAIL_BACKEND, when set, sends debtor email through another backend than the one the
system uses for its own mail (e.g. a dedicated SMTP relay for collections mail).
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid

from . import OutgoingMessage, PermanentSendError, TransientSendError


class EmailChannelBackend:
    idempotent = False

    def send(self, message: OutgoingMessage) -> str:
        message_id = make_msgid(domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None)
        connection = get_connection(
            backend=settings.MESSAGING_EMAIL_BACKEND or None,
            timeout=settings.MESSAGING_GATEWAY_TIMEOUT,
        )
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message_id, "X-Idempotency-Key": message.idempotency_key},
            connection=connection,
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentSendError(f"recipient refused: {exc}") from exc
        except smtplib.SMTPResponseException as exc:
            # 5xx SMTP replies are permanent refusals; 4xx are "try again later".
            if 500 <= exc.smtp_code < 600:
                raise PermanentSendError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
            raise TransientSendError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TransientSendError(f"SMTP unavailable: {exc}") from exc
        return message_id
