// The daily quota, as the last response told it; views subscribe to changes.

const listeners = new Set();
let current = null;

/** From a `quota` object: {limit, used, remaining, resets_at}. */
export function quotaFromBody(body) {
  if (!body || typeof body !== "object") return null;
  const resets = new Date(body.resets_at);
  const numbers = [body.limit, body.used, body.remaining].map(Number);
  if (numbers.some((n) => !Number.isFinite(n)) || Number.isNaN(resets.getTime())) return null;
  const [limit, used, remaining] = numbers;
  return { limit, used, remaining, resetsAt: resets };
}

/** From the X-RateLimit-* headers (exposed by the vending service's CORS), or null. */
export function quotaFromHeaders(headers) {
  const limit = Number.parseInt(headers.get("X-RateLimit-Limit") ?? "", 10);
  const remaining = Number.parseInt(headers.get("X-RateLimit-Remaining") ?? "", 10);
  const reset = Number.parseInt(headers.get("X-RateLimit-Reset") ?? "", 10);
  if (![limit, remaining, reset].every(Number.isFinite)) return null;
  return { limit, used: limit - remaining, remaining, resetsAt: new Date(reset * 1000) };
}

export function setQuota(quota) {
  if (!quota) return;
  current = quota;
  for (const listener of listeners) listener(quota);
}

export const currentQuota = () => current;

export function onQuota(listener) {
  listeners.add(listener);
  if (current) listener(current);
}

export function resetQuota() {
  current = null;
  for (const listener of listeners) listener(null);
}
