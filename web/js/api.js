// The REST API: every call carries the ID token; every refusal becomes an ApiError with the API's `reason`.

export class ApiError extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

const MISSING_ROUTE = "Missing Authentication Token";

/** What to show for a refusal: the API's `reason`, else API Gateway's `message`, explained when it is a missing route. */
function reasonOf(status, payload) {
  if (typeof payload?.reason === "string") return payload.reason;
  if (payload?.message === MISSING_ROUTE) {
    return `This stack does not offer this operation yet (API Gateway answered ${status} "${MISSING_ROUTE}").`;
  }
  if (typeof payload?.message === "string") return payload.message;
  return `The API answered ${status}.`;
}

export class Api {
  /** `onUnauthorized()` is called on a 401: the token is no longer accepted. */
  constructor(baseUrl, session, onUnauthorized) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.session = session;
    this.onUnauthorized = onUnauthorized;
  }

  async call(method, path, { query, body } = {}) {
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const headers = { Authorization: this.session.idToken ?? "" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (failure) {
      throw new ApiError(0, `The API could not be reached (${failure.message}).`);
    }
    const payload = await response.json().catch(() => null);
    if (response.status === 401) {
      this.onUnauthorized();
      throw new ApiError(401, "Your session has ended: please sign in again.");
    }
    if (!response.ok) throw new ApiError(response.status, reasonOf(response.status, payload));
    return payload;
  }

  get(path, query) {
    return this.call("GET", path, { query });
  }

  post(path, body) {
    return this.call("POST", path, { body });
  }

  put(path, body) {
    return this.call("PUT", path, { body });
  }

  delete(path, body) {
    return this.call("DELETE", path, { body });
  }
}
