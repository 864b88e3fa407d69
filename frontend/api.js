// The vending machine's API, with the bearer token on every request.
//
// A request that gets 401 is retried once after POST /refresh; a second 401 (or a refresh
// that fails) ends the session. The token is only ever sent to the configured API base:
// URLs are built from ids here, never taken from a response. Images are not fetched here:
// each record's signed image_url goes into <img src> as it is, with no token (images.js).

import { endSession, sessionSignal, tokenAfter401, usableAccessToken } from "./auth.js";
import { config } from "./config.js";
import { ApiError, NetworkError, SessionEnded, baseInit } from "./http.js";
import { quotaFromBody, quotaFromHeaders, setQuota } from "./quota.js";

const path = (...parts) => parts.map((part) => `/${encodeURIComponent(part)}`).join("");

async function send(url, init, token, session, signal) {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token}`);
  try {
    return await fetch(url, { ...baseInit, ...init, headers, signal });
  } catch (error) {
    if (session.aborted) throw new SessionEnded("logout");
    if (error?.name === "AbortError") throw error; // the view let go of this request
    throw new NetworkError(url, error);
  }
}

/** fetch() a vending URL with the token; resolves to an OK Response or throws ApiError. */
async function authorized(route, init = {}, signal = undefined) {
  const url = `${config.apiUrl}${route}`;
  const session = sessionSignal();
  const combined = signal ? AbortSignal.any([session, signal]) : session;
  const go = async (token) => {
    // Logged out while waiting for a token: nothing may leave with one any more.
    if (session.aborted) throw new SessionEnded("logout");
    return send(url, init, token, session, combined);
  };
  let token = await usableAccessToken();
  let response = await go(token);
  if (response.status === 401) {
    await response.body?.cancel();
    token = await tokenAfter401(token);
    response = await go(token);
    if (response.status === 401) throw endSession("expired");
  }
  const quota = quotaFromHeaders(response.headers);
  if (quota) setQuota(quota);
  if (!response.ok) {
    const error = await ApiError.from(response);
    if (error.status === 429 && error.problem.limit !== undefined) {
      setQuota(quotaFromBody(error.problem));
    }
    throw error;
  }
  return response;
}

/** GET /cats?count=N: `{cats, quota}`. */
export async function getCats(count, signal) {
  const response = await authorized(`/cats?count=${encodeURIComponent(count)}`, {}, signal);
  const body = await response.json();
  setQuota(quotaFromBody(body.quota));
  return body;
}

/** GET /cats/{id}: the picture record (charged 1). */
export async function getCat(id, signal) {
  return (await authorized(path("cats", id), {}, signal)).json();
}

/** GET /me: `{sub, tier, scopes, quota}` (not charged). */
export async function getMe(signal) {
  const body = await (await authorized("/me", {}, signal)).json();
  setQuota(quotaFromBody(body.quota));
  return body;
}

/** POST /cats (multipart): the new picture record. */
export async function uploadCat(form) {
  return (await authorized("/cats", { method: "POST", body: form })).json();
}

/** DELETE /cats/{id}. */
export async function deleteCat(id) {
  await authorized(path("cats", id), { method: "DELETE" });
}

/** PUT /cats/{id}/shares/{username}. */
export async function share(id, username) {
  await authorized(path("cats", id, "shares", username), { method: "PUT" });
}

/** DELETE /cats/{id}/shares/{username}. */
export async function unshare(id, username) {
  await authorized(path("cats", id, "shares", username), { method: "DELETE" });
}
