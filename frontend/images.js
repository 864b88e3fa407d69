// Pictures need the bearer token, which <img src> cannot send: each image is fetched with
// fetch(), turned into a blob: URL (allowed by the CSP's img-src), and revoked when its view
// lets go of it. An <img> is shown only once its image has loaded: never a broken icon.

import { getImage } from "./api.js";
import { SessionEnded } from "./http.js";

/** A set of blob: URLs owned by one view, revoked together. */
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

/**
 * Load picture `id` into `img` (hidden until then); `frame` gets data-state "loading",
 * "ready" or "failed" for the placeholder's look.
 */
export async function loadPicture(id, img, frame, bag, signal) {
  frame.dataset.state = "loading";
  img.hidden = true;
  try {
    const shown = await showBlob(img, await getImage(id, signal), bag);
    frame.dataset.state = shown ? "ready" : "failed";
  } catch (error) {
    if (error instanceof SessionEnded || signal?.aborted) return;
    frame.dataset.state = "failed";
  }
}
