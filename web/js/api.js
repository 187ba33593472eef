// The REST API: every call carries the ID token; every refusal becomes an ApiError with the API's `reason`.

export class ApiError extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

/** What to show for a refusal: the API's `reason`, else API Gateway's own `message`. */
function reasonOf(status, payload) {
  if (typeof payload?.reason === "string") return payload.reason;
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
      // A browser sees no answer at all when the preflight fails: API Gateway answers a path it does not have
      // with a 403, not a preflight's 2xx, so an operation this stack lacks ends up here too.
      throw new ApiError(
        0,
        `The API did not answer ${method} ${path} (${failure.message}): it is unreachable, or this stack may not offer this operation yet.`,
      );
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
