"""The API's Cognito authorizer: which tokens API Gateway lets through, and the claims it hands on."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE_CLAIMS = ("exp", "iat")
"""API Gateway hands these on as dates (`Fri Jul 29 18:52:53 UTC 2016`), other numbers as digits."""


class Unauthorized(Exception):
    """The request does not carry an ID token of the pool; API Gateway answers 401 without calling the function."""


@dataclass(frozen=True)
class CognitoAuthorizer:
    """Accepts the ID tokens of one user pool, as API Gateway does for a route that declares no OAuth scopes."""

    issuer: str
    client_ids: frozenset[str]
    keys: KeySet

    @classmethod
    def for_pool(cls, endpoint_url: str, issuer: str, pool_id: str, client_ids: Iterable[str]) -> "CognitoAuthorizer":
        """Fetch the pool's signing keys once, from the JWKS the embedded Cognito serves."""
        response = requests.get(f"{endpoint_url}/{pool_id}/.well-known/jwks.json", timeout=5)
        response.raise_for_status()
        return cls(issuer=issuer, client_ids=frozenset(client_ids), keys=KeySet.import_key_set(response.json()))

    def claims(self, authorization: str | None) -> dict[str, str]:
        """The claims API Gateway passes to the function for this Authorization header."""
        token = _bearer(authorization)
        try:
            claims = jwt.decode(token, self.keys, algorithms=["RS256"]).claims
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "values": sorted(self.client_ids)},
                token_use={"essential": True, "value": "id"},
                exp={"essential": True},
            ).validate(claims)
        except (JoseError, ValueError, TypeError) as refused:
            raise Unauthorized(type(refused).__name__) from refused
        return api_gateway_claims(claims)


def _bearer(authorization: str | None) -> str:
    """The token in the header: bare, or after `Bearer `."""
    value = (authorization or "").strip()
    scheme, _, rest = value.partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else value
    if not token or any(character.isspace() for character in token):
        raise Unauthorized("no token")
    return token


def api_gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """The claims as a REST API's Cognito authorizer delivers them in requestContext: every value a string."""
    return {name: _as_string(name, value) for name, value in claims.items()}


def _as_string(name: str, value: Any) -> str:
    if name in _DATE_CLAIMS and isinstance(value, int):
        moment = datetime.fromtimestamp(value, tz=UTC)
        return f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment:%d %H:%M:%S} UTC {moment.year}"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(_as_string("", item) for item in value)
    return str(value)
