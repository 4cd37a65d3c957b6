"""Which AWS errors are worth retrying.

Retryable errors are re-raised: Lambda retries the asynchronous invocation, and after the last
attempt the event goes to the function's on-failure destination. Everything else is a problem
that the same request will hit again, so the handler records it and parks the event instead.

| error code | retried | why |
| --- | --- | --- |
| ThrottlingException, Throttling, TooManyRequestsException | yes | a rate limit |
| ServiceUnavailable, InternalFailure, InternalServerError, HTTP 5xx | yes | service-side |
| ResourceLimitExceeded | yes | too many running executions; they finish and free capacity |
| ConflictException | yes | the pipeline is being changed (a deployment in flight) |
| connection errors and timeouts (botocore) | yes | the network |
| ValidationException | no | the request itself is wrong (a value, a name) |
| AccessDeniedException, UnrecognizedClientException | no | IAM must change first |
| ResourceNotFound | no | the pipeline does not exist (not deployed yet, or renamed) |
| any other error | no | unknown client errors are not expected to heal by themselves |

ConflictException cannot mean "token reused with different parameters" here: the token covers
every field of the request, so the same token always comes with the same request.
"""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalServerError",
        "InternalServerException",
        "ResourceLimitExceeded",
        "ConflictException",
    }
)
NETWORK_ERRORS = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)
SERVER_ERROR_STATUS = 500


def error_code(error: BaseException) -> str:
    """The AWS error code, or the exception's class name for non-service errors."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "Unknown"))
    return type(error).__name__


def is_retryable(error: BaseException) -> bool:
    """True when trying the same request later may succeed."""
    if isinstance(error, NETWORK_ERRORS):
        return True
    if not isinstance(error, ClientError):
        return False
    if error_code(error) in RETRYABLE_CODES:
        return True
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return isinstance(status, int) and status >= SERVER_ERROR_STATUS
