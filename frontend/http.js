// fetch() with the errors the app cares about: a problem+json body, Retry-After, no network.

/** The server answered with an error status; `problem` is its RFC 9457 body (or {}). */
export class ApiError extends Error {
  constructor(status, problem, headers) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.headers = headers;
  }

  /** Seconds from the Retry-After header (or the body's `retry_after`), else null. */
  get retryAfter() {
    const header = Number.parseInt(this.headers.get("Retry-After") ?? "", 10);
    if (Number.isFinite(header)) return header;
    const body = Number(this.problem.retry_after);
    return Number.isFinite(body) ? body : null;
  }

  /** For a quota 429: when the quota resets (the body's resets_at, else Retry-After). */
  get resetsAt() {
    const stated = new Date(this.problem.resets_at);
    if (!Number.isNaN(stated.getTime())) return stated;
    return new Date(Date.now() + (this.retryAfter ?? 0) * 1000);
  }

  /** The server's explanation, safe to show (it is rendered as text). */
  get detail() {
    return String(this.problem.detail || this.problem.title || `HTTP ${this.status}`);
  }

  static async from(response) {
    let problem = {};
    try {
      const body = await response.json();
      if (body && typeof body === "object") problem = body;
    } catch {
      // Not JSON (a proxy's error page, say): the status alone has to do.
    }
    return new ApiError(response.status, problem, response.headers);
  }
}

/** The service could not be reached at all. */
export class NetworkError extends Error {
  constructor(url, cause) {
    super(`could not reach ${url}`, { cause });
    this.name = "NetworkError";
    this.url = url;
  }
}

/** The session is over (logged out, or the tokens can no longer be renewed). */
export class SessionEnded extends Error {
  constructor(reason = "expired") {
    super(`session ended: ${reason}`);
    this.name = "SessionEnded";
    this.reason = reason;
  }
}

/** Options every request shares: no cookies, no referrer, nothing cached by the browser. */
export const baseInit = Object.freeze({
  credentials: "omit",
  cache: "no-store",
  referrerPolicy: "no-referrer",
});

/** POST a JSON body without credentials; resolves to the Response, whatever its status. */
export async function postJson(url, body, { signal, keepalive = false } = {}) {
  try {
    return await fetch(url, {
      ...baseInit,
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      signal,
      keepalive,
    });
  } catch (error) {
    if (error?.name === "AbortError") throw new SessionEnded("logout");
    throw new NetworkError(url, error);
  }
}
