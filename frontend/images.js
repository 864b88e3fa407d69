// Pictures load with a plain <img src>: every picture record carries a signed, expiring
// image_url for this user (no token needed, none is sent). The URL is used only when it
// points at the configured vending service. An <img> is shown only once its image has
// loaded: never a broken icon. Upload previews still show the chosen file as a blob: URL.

import { config } from "./config.js";

/** A set of blob: URLs owned by one view, revoked together (upload previews). */
export class UrlBag {
  #urls = new Set();

  add(blob) {
    const url = URL.createObjectURL(blob);
    this.#urls.add(url);
    return url;
  }

  revokeAll() {
    for (const url of this.#urls) URL.revokeObjectURL(url);
    this.#urls.clear();
  }
}

/** Show a Blob in a hidden <img>, revealing it once decoded; false when it cannot be shown. */
export async function showBlob(img, blob, bag) {
  if (!blob.type.startsWith("image/")) return false;
  img.src = bag.add(blob);
  try {
    await img.decode();
  } catch {
    img.removeAttribute("src");
    return false;
  }
  img.hidden = false;
  return true;
}

/** The record's image URL when it is one of the vending service's image URLs, else null. */
export function imageUrl(record) {
  if (typeof record?.image_url !== "string") return null;
  try {
    const url = new URL(record.image_url, location.href);
    const api = new URL(`${config.apiUrl}/cats/`, location.href);
    const ours = url.origin === api.origin && url.pathname.startsWith(api.pathname);
    return ours && url.pathname.endsWith("/image") ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Load the picture of `record` into `img` (hidden until then); `frame` gets data-state
 * "loading", "ready" or "failed" for the placeholder's look. A signed URL that expired
 * (after an hour) fails: opening the picture again gets a fresh one.
 */
export async function loadPicture(record, img, frame, signal) {
  frame.dataset.state = "loading";
  img.hidden = true;
  const url = imageUrl(record);
  if (url === null) {
    frame.dataset.state = "failed";
    return;
  }
  img.src = url;
  try {
    await img.decode();
  } catch {
    if (signal?.aborted) return;
    img.removeAttribute("src");
    frame.dataset.state = "failed";
    return;
  }
  if (signal?.aborted) return;
  img.hidden = false;
  frame.dataset.state = "ready";
}
