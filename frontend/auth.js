// The session: where the tokens live, and talking to the auth booth.
//
// The access token lives in localStorage (the contract asks for it there); the refresh
// token lives in sessionStorage: it outlives a reload of this tab but not the tab, and is
// never shared with other tabs. Device tokens (one per user who logged in here) live in
// localStorage and outlive logout: they make this browser a known device, which attacks
// on the user's name cannot lock out. docs/frontend.md explains the choices.

import { config } from "./config.js";
import { ApiError, SessionEnded, postJson } from "./http.js";

const ACCESS = "lanyard.access_token";
const REFRESH = "lanyard.refresh_token";
const DEVICES = "lanyard.device_tokens";
const PREFIX = "lanyard.";
// Renew this long before the access token's `exp`, so no request leaves with a dying token.
const EARLY_SECONDS = 30;

/** Fires "ended" (detail: the reason) when the session is over. */
export const session = new EventTarget();

let controller = new AbortController();
let refreshing = null;

/** The stored access token, or null. */
export const accessToken = () => localStorage.getItem(ACCESS);

const refreshToken = () => sessionStorage.getItem(REFRESH);

/** An AbortSignal that fires when the session ends: every request of the session uses it. */
export const sessionSignal = () => controller.signal;

/** The token's claims, decoded but NOT verified: only for display and timing, never trust. */
export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "="));
    const utf8 = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
    const value = JSON.parse(new TextDecoder().decode(utf8));
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

/** The signed-in username (from the token, for display), or null. */
export const currentUser = () => {
  const token = accessToken();
  const sub = token ? claims(token)?.sub : null;
  return typeof sub === "string" ? sub : null;
};

export const signedIn = () => accessToken() !== null;

/** The device tokens kept here, by canonical username. */
function deviceTokens() {
  try {
    const stored = JSON.parse(localStorage.getItem(DEVICES) ?? "{}");
    return stored && typeof stored === "object" && !Array.isArray(stored) ? stored : {};
  } catch {
    return {};
  }
}

/** The device token for `username` as typed (the booth folds case; so does this lookup). */
function deviceTokenFor(username) {
  const token = deviceTokens()[username.normalize("NFKC").toLowerCase()];
  return typeof token === "string" ? token : undefined;
}

function keepDeviceToken(token) {
  const sub = claims(token.access_token ?? "")?.sub;
  if (typeof token.device_token !== "string" || typeof sub !== "string") return;
  localStorage.setItem(DEVICES, JSON.stringify({ ...deviceTokens(), [sub]: token.device_token }));
}

function keep(pair) {
  if (typeof pair?.access_token !== "string" || typeof pair?.refresh_token !== "string") {
    const problem = { detail: "the auth service sent an unexpected answer" };
    throw new ApiError(502, problem, new Headers());
  }
  localStorage.setItem(ACCESS, pair.access_token);
  sessionStorage.setItem(REFRESH, pair.refresh_token);
}

/** Forget the session's keys; device tokens stay (logout ends a session, not the device). */
function forget(storage) {
  for (const key of Object.keys(storage)) {
    if (key.startsWith(PREFIX) && key !== DEVICES) storage.removeItem(key);
  }
}

/**
 * End the session here: forget every token, abort every request in flight, and tell the
 * app (which shows the login form). Returns a SessionEnded to throw. `shared: false` leaves
 * localStorage alone, for when another tab's new session is what is stored there.
 */
export function endSession(reason, { shared = true } = {}) {
  const ending = accessToken() !== null || refreshToken() !== null || !shared;
  if (shared) forget(localStorage);
  forget(sessionStorage);
  controller.abort();
  controller = new AbortController();
  refreshing = null;
  // Only once: late requests of a session already over must not replace its last word.
  if (ending) session.dispatchEvent(new CustomEvent("ended", { detail: reason }));
  return new SessionEnded(reason);
}

/** POST /register; resolves to the canonical username. */
export async function register(username, password) {
  const response = await postJson(`${config.authUrl}/register`, { username, password });
  if (response.status !== 201) throw await ApiError.from(response);
  return (await response.json()).username;
}

/** POST /login, as a known device when this browser has the user's device token; keeps
 * the tokens and the (renewed) device token. */
export async function login(username, password) {
  const body = { username, password };
  const device = deviceTokenFor(username);
  if (device !== undefined) body.device_token = device;
  const response = await postJson(`${config.authUrl}/login`, body);
  if (!response.ok) throw await ApiError.from(response);
  controller = new AbortController();
  const pair = await response.json();
  keep(pair);
  keepDeviceToken(pair);
}

async function renew(signal) {
  const token = refreshToken();
  if (!token) throw endSession("expired");
  const url = `${config.authUrl}/refresh`;
  const response = await postJson(url, { refresh_token: token }, { signal });
  // Logged out while the answer was on its way: the new tokens must not be kept.
  if (signal.aborted) throw new SessionEnded("logout");
  if (response.status >= 400 && response.status < 500) throw endSession("expired");
  if (!response.ok) throw await ApiError.from(response);
  keep(await response.json());
  return accessToken();
}

/**
 * A fresh access token from POST /refresh. Concurrent callers (a gallery of 35 images
 * all getting 401 at once) share one refresh: the old refresh token is spent by the first.
 */
export function refreshTokens() {
  if (refreshing === null) {
    const attempt = renew(controller.signal).finally(() => {
      if (refreshing === attempt) refreshing = null;
    });
    refreshing = attempt;
  }
  return refreshing;
}

/** An access token to send now: renewed first when it is missing, unreadable or expiring. */
export async function usableAccessToken() {
  const token = accessToken();
  if (token === null && refreshToken() === null) throw endSession("expired");
  const exp = token ? claims(token)?.exp : undefined;
  const fresh = typeof exp === "number" && exp - Date.now() / 1000 > EARLY_SECONDS;
  if (fresh || refreshToken() === null) return token;
  return refreshTokens();
}

/**
 * After a 401 for `used`: a token worth one retry. When another request already renewed
 * the token this one was sent with, that newer token is used without another refresh.
 */
export async function tokenAfter401(used) {
  const stored = accessToken();
  if (stored !== null && stored !== used) return stored;
  if (refreshToken() === null) throw endSession("expired");
  return refreshTokens();
}

/** Log out: forget the tokens first (nothing can send them again), then revoke the chain. */
export async function logout() {
  const token = refreshToken();
  endSession("logout");
  if (token === null) return;
  try {
    const response = await postJson(
      `${config.authUrl}/logout`,
      { refresh_token: token },
      { keepalive: true },
    );
    await response.body?.cancel();
  } catch {
    // Offline: the refresh token is gone from this browser and expires on its own.
  }
}

// Tabs share the access token (localStorage); each keeps its own refresh token.
window.addEventListener("storage", (event) => {
  if (event.storageArea !== localStorage || (event.key !== ACCESS && event.key !== null)) return;
  const before = event.oldValue ? claims(event.oldValue)?.sub : null;
  const after = event.newValue ? claims(event.newValue)?.sub : null;
  if (event.key === ACCESS && before && before === after) return; // another tab renewed it
  // Another tab logged out, or in (perhaps as someone else): this tab's chain is done.
  const mine = refreshToken();
  forget(sessionStorage);
  if (mine !== null) {
    postJson(`${config.authUrl}/logout`, { refresh_token: mine }, { keepalive: true }).catch(
      () => {},
    );
  }
  if (after) {
    controller.abort();
    controller = new AbortController();
    session.dispatchEvent(new CustomEvent("started"));
  } else {
    endSession("elsewhere", { shared: false });
  }
});
