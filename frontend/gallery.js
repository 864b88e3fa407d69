// The gallery: N cats from the vending machine, and the pictures uploaded in this session.
// The cats stay on screen when the user opens one and comes back: a new batch is bought
// only when they ask for it, since every picture counts against the daily quota.

import { getCats } from "./api.js";
import { currentUser } from "./auth.js";
import { byId, el, hush, say } from "./dom.js";
import { resetSentence } from "./format.js";
import { ApiError, NetworkError, SessionEnded } from "./http.js";
import { loadPicture } from "./images.js";
import { myUploads } from "./mine.js";

let loads = new AbortController();
let uploadLoads = new AbortController();

/** One picture as a card linking to its own view; the image loads from its signed URL. */
function card(picture, signal) {
  const img = el("img", { alt: "", hidden: true, width: 256, height: 256, decoding: "async" });
  const frame = el("div", { class: "frame", dataset: { state: "loading" } }, img);
  loadPicture(picture, img, frame, signal);
  return el(
    "li",
    { class: "cat-card" },
    el(
      "a",
      { class: "cat-link", href: `#/cats/${encodeURIComponent(picture.id)}` },
      frame,
      el("span", { class: "cat-title", text: picture.title }),
    ),
  );
}

function explain(error, count) {
  if (error instanceof NetworkError) {
    return "Can't reach the vending machine. Check that it is running, then try again.";
  }
  if (error instanceof ApiError && error.status === 429) {
    const problem = error.problem;
    const remaining = Number(problem.remaining);
    const cats = remaining === 1 ? "cat is" : "cats are";
    const left =
      remaining > 0
        ? `Only ${remaining} ${cats} left in today's quota, and you asked for ${count}. `
        : "You have used today's quota of cats. ";
    return [left, ...resetSentence(error.resetsAt)];
  }
  if (error instanceof ApiError && error.status === 422) {
    return `Please choose a number of cats from 1 to 100 (${error.detail}).`;
  }
  return error instanceof ApiError
    ? `The vending machine said no: ${error.detail}.`
    : "Something went wrong while getting cats.";
}

async function buy(count) {
  const message = byId("gallery-message");
  const status = byId("gallery-status");
  const button = byId("gallery-form").querySelector("button");
  hush(message);
  button.disabled = true;
  status.textContent = `Getting ${count} cats…`;
  try {
    const { cats } = await getCats(count);
    loads.abort();
    loads = new AbortController();
    byId("gallery").replaceChildren(...cats.map((cat) => card(cat, loads.signal)));
    byId("gallery-empty").hidden = true;
    status.textContent = `Showing ${cats.length} ${cats.length === 1 ? "cat" : "cats"}.`;
  } catch (error) {
    status.textContent = "";
    if (error instanceof SessionEnded) return;
    say(message, explain(error, count));
  } finally {
    button.disabled = false;
  }
}

function renderUploads() {
  const mine = myUploads(currentUser());
  uploadLoads.abort();
  uploadLoads = new AbortController();
  byId("my-uploads").hidden = mine.length === 0;
  byId("my-uploads-list").replaceChildren(...mine.map((item) => card(item, uploadLoads.signal)));
}

export function setUpGallery() {
  const form = byId("gallery-form");
  const input = byId("cat-count");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const count = Number(input.value);
    if (!Number.isInteger(count) || count < 1 || count > 100) {
      say(byId("gallery-message"), "Please choose a whole number of cats from 1 to 100.");
      input.focus();
      return;
    }
    buy(count);
  });
}

export function showGallery() {
  renderUploads();
}

/** Forget every picture (at logout). */
export function clearGallery() {
  loads.abort();
  loads = new AbortController();
  uploadLoads.abort();
  uploadLoads = new AbortController();
  byId("gallery").replaceChildren();
  byId("my-uploads-list").replaceChildren();
  byId("gallery-empty").hidden = false;
  hush(byId("gallery-message"));
}
