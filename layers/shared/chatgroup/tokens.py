"""Cognito ID tokens, verified as API Gateway's Cognito authorizer verifies them: for the WebSocket authorizer.

Browsers cannot set headers on a WebSocket, and a WebSocket API has no Cognito authorizer type,
so `$connect` runs a Lambda REQUEST authorizer that checks the token from the query string: RS256
signature against the pool's JWKS, issuer, audience (the app client), `token_use` = id, expiry.
"""

import base64
import binascii
import json
import os
import time
import urllib.request
from dataclasses import dataclass, field

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

JWKS_REFRESH_SECONDS = 300
"""At most one JWKS download per 5 minutes for a key id we do not know (Cognito rotates keys rarely)."""


class TokenRefused(Exception):
    """Not an ID token of the pool's app client; the message says which check failed, for the log only."""


@dataclass
class IdTokenVerifier:
    issuer: str
    client_ids: frozenset[str]
    jwks_url: str
    _keys: KeySet | None = field(default=None, init=False)
    _fetched_at: float = field(default=0.0, init=False)

    @classmethod
    def from_environment(cls) -> "IdTokenVerifier":
        env = os.environ
        return cls(
            issuer=env["COGNITO_ISSUER"],
            client_ids=frozenset(env["COGNITO_CLIENT_IDS"].split(",")),
            jwks_url=env["COGNITO_JWKS_URL"],
        )

    def username(self, token: str | None) -> str:
        """The token's `cognito:username`, if every check passes."""
        if not token or token.count(".") != 2:
            raise TokenRefused("no token, or not a JWT")
        keys = self._keys_for(token)  # outside the try: keys that cannot be had are our failure, not the token's
        try:
            claims = jwt.decode(token, keys, algorithms=["RS256"]).claims
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "values": sorted(self.client_ids)},
                token_use={"essential": True, "value": "id"},
                exp={"essential": True},
            ).validate(claims)
        except (JoseError, ValueError, TypeError) as refused:
            raise TokenRefused(type(refused).__name__) from refused
        username = claims.get("cognito:username")
        if not isinstance(username, str) or not username:
            raise TokenRefused("no cognito:username")
        return username

    def _keys_for(self, token: str) -> KeySet:
        """The pool's keys, downloaded again if the token names a key id we have not seen (a rotation).

        A download that fails (Cognito or the network down, an answer that is no key set) raises rather
        than refusing the token: the handshake is then a 500, which a client retries, not a 401, which
        tells it to sign in again.
        """
        stale = time.monotonic() - self._fetched_at > JWKS_REFRESH_SECONDS
        if self._keys is None or (stale and not self._knows(token)):
            with urllib.request.urlopen(self.jwks_url, timeout=3) as response:  # noqa: S310 - the pool's https URL
                self._keys = KeySet.import_key_set(json.load(response))
            self._fetched_at = time.monotonic()
        return self._keys

    def _knows(self, token: str) -> bool:
        header = token.split(".", 1)[0]
        try:
            kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))).get("kid")
        except (ValueError, binascii.Error, AttributeError):
            return True
        return self._keys is not None and any(key.kid == kid for key in self._keys.keys)
