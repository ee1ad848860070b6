"""Email through Django's email backend, for self-hosted schools. Secret shape:
{"type": "smtp", "from", "host", "port", "username", "password", "useTls"}; without "host" the
deployment's EMAIL_BACKEND is used."""

import smtplib
import uuid

from django.core.mail import EmailMessage, get_connection

from .base import PermanentProviderError, Provider, SendResult, TransientProviderError


class SmtpProvider(Provider):
    key = "smtp"

    def connection(self):
        if not self.config.get("host"):
            return get_connection()
        return get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=self.config["host"],
            port=int(self.config.get("port", 587)),
            username=self.config.get("username", ""),
            password=self.config.get("password", ""),
            use_tls=bool(self.config.get("useTls", True)),
            timeout=20,
        )

    def send(self, message):
        message_id = f"<{uuid.uuid4().hex}@classpoint>"
        email = EmailMessage(
            subject=message.subject or "Message from your school",
            body=message.body,
            from_email=self.config.get("from") or None,
            to=[message.to_address],
            headers={"Message-ID": message_id},
            connection=self.connection(),
        )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentProviderError(f"The mail server refused the address {message.to_address}.") from exc
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientProviderError(f"The mail server answered {exc.smtp_code}.", code=exc.smtp_code) from exc
            raise PermanentProviderError(
                f"The mail server refused the email ({exc.smtp_code}).", code=exc.smtp_code
            ) from exc
        except OSError as exc:  # disconnects, refused connections and timeouts (smtplib errors are OSErrors)
            raise TransientProviderError(f"The mail server could not be reached: {type(exc).__name__}") from exc
        return SendResult(provider_message_id=message_id)
