"""End-to-end tests: the local stack over HTTP, with tokens from its embedded Cognito."""
