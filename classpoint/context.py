"""Per-request facts (request id, client address) that services record without taking a request."""

import contextvars

request_id_var = contextvars.ContextVar("classpoint_request_id", default="")
client_ip_var = contextvars.ContextVar("classpoint_client_ip", default=None)
