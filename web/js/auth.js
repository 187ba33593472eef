// Sign-in with Cognito from the browser (USER_PASSWORD_AUTH), tokens kept in this module's memory only:
// never in localStorage or cookies, so a reload signs the user out. The ID token is refreshed with the
// refresh token five minutes before its hour runs out.

const REFRESH_MARGIN_SECONDS = 300;
const MIN_REFRESH_DELAY_SECONDS = 5;

export class CognitoError extends Error {}

/** One call of Cognito's JSON API, unsigned, as the browser SDKs make it. */
async function cognito(config, operation, body) {
  const endpoint = config.endpoint || `https://cognito-idp.${config.region}.amazonaws.com/`;
  let response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
      },
      body: JSON.stringify(body),
    });
  } catch (failure) {
    throw new CognitoError(`Cognito could not be reached (${failure.message}).`);
  }
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new CognitoError(payload.message || payload.Message || payload.__type || `Cognito answered ${response.status}.`);
  }
  return payload;
}

/** The claims of a JWT (read, not verified: the API verifies every token it is given). */
function claims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const json = new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)));
  return JSON.parse(json);
}

export class Session {
  #config;
  #tokens = null;
  #timer = null;

  /** `onEnded(reason)` is called when the session ends by itself (a refresh was refused). */
  constructor(cognitoConfig, onEnded) {
    this.#config = cognitoConfig;
    this.onEnded = onEnded;
  }

  get signedIn() {
    return this.#tokens !== null;
  }

  get idToken() {
    return this.#tokens?.IdToken ?? null;
  }

  get username() {
    return this.#tokens ? claims(this.#tokens.IdToken)["cognito:username"] : null;
  }

  /** When the ID token expires (ms since the epoch). */
  get expiresAt() {
    return this.#tokens ? claims(this.#tokens.IdToken).exp * 1000 : null;
  }

  async signIn(username, password) {
    const answer = await cognito(this.#config, "InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: this.#config.client_id,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    if (!answer.AuthenticationResult) {
      throw new CognitoError(`This account needs ${answer.ChallengeName ?? "another step"}, which this app does not offer.`);
    }
    this.#keep(answer.AuthenticationResult);
  }

  /** New ID and access tokens from the refresh token (Cognito returns no new refresh token). */
  async refresh() {
    const answer = await cognito(this.#config, "InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      ClientId: this.#config.client_id,
      AuthParameters: { REFRESH_TOKEN: this.#tokens.RefreshToken },
    });
    this.#keep({ ...answer.AuthenticationResult, RefreshToken: this.#tokens.RefreshToken });
  }

  /** Forget the tokens; revoke the refresh token at Cognito as well, without waiting for it. */
  signOut() {
    clearTimeout(this.#timer);
    const tokens = this.#tokens;
    this.#tokens = null;
    if (tokens?.RefreshToken) {
      cognito(this.#config, "RevokeToken", { ClientId: this.#config.client_id, Token: tokens.RefreshToken }).catch(() => {});
    }
  }

  #keep(result) {
    this.#tokens = result;
    clearTimeout(this.#timer);
    const lifetime = result.ExpiresIn ?? (claims(result.IdToken).exp - Date.now() / 1000);
    const delay = Math.max(lifetime - REFRESH_MARGIN_SECONDS, MIN_REFRESH_DELAY_SECONDS);
    this.#timer = setTimeout(() => this.#refreshOrEnd(), delay * 1000);
  }

  async #refreshOrEnd() {
    try {
      await this.refresh();
    } catch (failure) {
      this.signOut();
      this.onEnded?.(`Your session could not be renewed (${failure.message}). Please sign in again.`);
    }
  }
}
