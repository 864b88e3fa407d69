// Tiny DOM helpers. Text only ever goes in through textContent or text nodes: nothing here
// (or anywhere in the app) parses HTML, so a title like "<img onerror=…>" stays a title.

/** The element with this id. */
export const byId = (id) => document.getElementById(id);

/**
 * Create an element: `props` sets attributes, except `text` (textContent), `class`,
 * `dataset` and `on<event>` (listeners); children may be nodes or strings (text nodes).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

/**
 * Show a message in a live region: `content` is a string or a list of strings and nodes;
 * `kind` is "error", "success" or "info" (it picks the colours). An empty message hides it.
 */
export function say(region, content, kind = "error") {
  region.replaceChildren(...(Array.isArray(content) ? content : [content ?? ""]));
  region.dataset.kind = kind;
  region.hidden = region.textContent === "";
}

/** Clear a message region. */
export function hush(region) {
  say(region, "");
}

/** Put keyboard and screen-reader focus on a view's heading (tabindex="-1"). */
export function focusHeading(view) {
  view.querySelector("h1")?.focus({ preventScroll: false });
}
