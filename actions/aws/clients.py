"""boto3 clients, one per (account, region, service), made once and reused by every thread.

boto3 clients are thread-safe, sessions are not: clients are made under a lock. Credentials come from boto3's
own chain (`AWS_PROFILE`, environment, instance role...) or the account's profile; when the account names a role,
it is assumed through STS and the clients are remade shortly before those credentials expire. The endpoint is
boto3's own business too (`AWS_ENDPOINT_URL`). boto3's retries are off: the layer above retries with backoff.

Every request a client makes - each page of a paginator included - first waits for the throttle, with the
client's scope ("aws:<account>:<region>") as the endpoint: botocore's `before-call` event sees each one."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config

from actions.backend import NoThrottle, Throttle
from core.cloud_config import AwsAccount
from core.errors import ResourceNotFound

SessionFactory = Callable[[AwsAccount], boto3.Session]
ROLE_SESSION_NAME = "opsbot"
_REFRESH_BEFORE = timedelta(minutes=5)


def profile_session(account: AwsAccount) -> boto3.Session:
    """The default: boto3's standard credential chain, with the account's profile if it names one."""
    return boto3.Session(profile_name=account.profile)


class AwsClients:
    def __init__(
        self,
        accounts: Sequence[AwsAccount],
        *,
        timeout: float,
        session_factory: SessionFactory | None = None,
        throttle: Throttle = NoThrottle(),  # noqa: B008 - stateless default
    ) -> None:
        self._accounts = {account.name: account for account in accounts}
        self._session_factory = session_factory or profile_session
        self._throttle = throttle
        self._config = Config(
            retries={"total_max_attempts": 1},
            connect_timeout=timeout,
            read_timeout=timeout,
            max_pool_connections=16,
        )
        self._lock = threading.Lock()
        self._sessions: dict[str, tuple[boto3.Session, datetime | None]] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}

    @property
    def accounts(self) -> list[AwsAccount]:
        return list(self._accounts.values())

    def account(self, name: str) -> AwsAccount:
        try:
            return self._accounts[name]
        except KeyError:
            raise ResourceNotFound(f"AWS account {name} is not configured") from None

    def client(self, account: AwsAccount, region: str, service: str) -> Any:
        """The shared client. May raise botocore errors (credentials, STS): callers translate them."""
        with self._lock:
            session = self._session(account)
            key = (account.name, region, service)
            if key not in self._clients:
                client = session.client(service, region_name=region, config=self._config)
                client.meta.events.register("before-call", self._throttled(f"aws:{account.name}:{region}"))
                self._clients[key] = client
            return self._clients[key]

    def _throttled(self, endpoint: str) -> Callable[..., None]:
        """A `before-call` handler; it must return None, or botocore takes its answer for the response."""

        def wait(**_event: Any) -> None:
            self._throttle.wait(endpoint)

        return wait

    def _session(self, account: AwsAccount) -> boto3.Session:
        cached = self._sessions.get(account.name)
        if cached is not None and (cached[1] is None or datetime.now(UTC) < cached[1] - _REFRESH_BEFORE):
            return cached[0]
        base = self._session_factory(account)
        session, expires = (base, None) if not account.role_arn else self._assume(base, account)
        for key in [k for k in self._clients if k[0] == account.name]:
            del self._clients[key]
        self._sessions[account.name] = (session, expires)
        return session

    def _assume(self, base: boto3.Session, account: AwsAccount) -> tuple[boto3.Session, datetime]:
        sts = base.client("sts", region_name=account.regions[0], config=self._config)
        answer = sts.assume_role(RoleArn=account.role_arn, RoleSessionName=ROLE_SESSION_NAME)
        credentials = answer["Credentials"]
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        expiration: datetime = credentials["Expiration"]
        return session, expiration
