"""Amazon SES email through boto3. Secret shape: {"type": "ses", "region", "from", "subject"}
(the subject is used when the template has none). AWS credentials come from the environment or the
instance role, as for every other AWS client."""

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ConnectTimeoutError, ReadTimeoutError
from django.conf import settings

from .base import PermanentProviderError, Provider, SendResult, TransientProviderError

TRANSIENT_CODES = {"Throttling", "ThrottlingException", "ServiceUnavailable", "InternalFailure", "TooManyRequests"}


class SesProvider(Provider):
    key = "ses"

    def client(self):
        timeout = settings.MESSAGING_PROVIDER_TIMEOUT_SECONDS
        return boto3.client(
            "ses",
            region_name=self.config.get("region") or "eu-west-1",
            endpoint_url=settings.SES_ENDPOINT_URL,
            config=Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1}),
        )

    def send(self, message):
        sender = self.config.get("from")
        if not sender:
            raise PermanentProviderError("The school's SES settings have no sender address.")
        subject = message.subject or self.config.get("subject") or "Message from your school"
        try:
            answer = self.client().send_email(
                Source=sender,
                Destination={"ToAddresses": [message.to_address]},
                Message={
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": message.body, "Charset": "UTF-8"}},
                },
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            text = exc.response.get("Error", {}).get("Message", "")
            if code in TRANSIENT_CODES or status >= 500:
                raise TransientProviderError(f"SES answered {code or status}: {text}", code=code) from exc
            raise PermanentProviderError(f"SES refused the email ({code}): {text}", code=code) from exc
        except (ConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
            raise TransientProviderError(f"SES could not be reached: {type(exc).__name__}") from exc
        except BotoCoreError as exc:  # no credentials, bad region: configuration, not the network
            raise PermanentProviderError(f"SES is not configured correctly: {exc}") from exc
        return SendResult(provider_message_id=answer["MessageId"])
