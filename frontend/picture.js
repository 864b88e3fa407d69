// One picture: the image, its facts, and for its owner: share, take back, delete.

import { deleteCat, getCat, share, unshare } from "./api.js";
import { currentUser } from "./auth.js";
import { byId, el, focusHeading, hush, say } from "./dom.js";
import { day, resetSentence } from "./format.js";
import { ApiError, NetworkError, SessionEnded } from "./http.js";
import { loadPicture } from "./images.js";
import { forgetUpload, isRemembered, rememberUpload, setShared, sharesOf } from "./mine.js";

let loads = new AbortController();
let shown = null; // the record on screen
let onDeleted = () => {};

// Usernames as the services compare them (the booth's NFKC + casefold, near enough).
const canonical = (name) => name.normalize("NFKC").toLowerCase().trim();

function explain(error, action) {
  if (error instanceof NetworkError) return `Can't reach the vending machine to ${action}.`;
  if (!(error instanceof ApiError)) return `Something went wrong while trying to ${action}.`;
  if (error.status === 404) return "This picture doesn't exist, or it isn't shared with you.";
  if (error.status === 422) return `Couldn't ${action}: ${error.detail}.`;
  if (error.status === 403) return `You aren't allowed to ${action}.`;
  return `Couldn't ${action}: ${error.detail}.`;
}

function renderShares(id) {
  const names = sharesOf(id);
  byId("shares").hidden = names.length === 0;
  byId("share-list").replaceChildren(
    ...names.map((name) =>
      el(
        "li",
        { class: "share" },
        el("span", { text: name }),
        el("button", {
          type: "button",
          class: "button button-small button-quiet",
          text: "Take back",
          "aria-label": `Take back from ${name}`,
          onclick: () => changeShare(name, false),
        }),
      ),
    ),
  );
}

async function changeShare(rawName, shared) {
  const message = byId("owner-message");
  const name = canonical(rawName);
  hush(message);
  if (!name) {
    say(message, "Please type the username of the person.");
    byId("share-username").focus();
    return;
  }
  const record = shown;
  try {
    await (shared ? share(record.id, name) : unshare(record.id, name));
  } catch (error) {
    if (!(error instanceof SessionEnded)) {
      say(message, explain(error, shared ? "share it" : "take it back"));
    }
    return;
  }
  if (!isRemembered(record.id)) rememberUpload(record);
  setShared(record.id, name, shared);
  renderShares(record.id);
  byId("share-form").reset();
  say(
    message,
    shared ? `Shared with ${name}.` : `Taken back: ${name} can no longer see it.`,
    "success",
  );
  byId("share-username").focus();
}

function renderOwnerTools(record) {
  const mine = record.owner === currentUser();
  byId("owner-tools").hidden = !mine;
  if (!mine) return;
  const isPrivate = record.visibility === "private";
  byId("share-tools").hidden = !isPrivate;
  byId("public-note").hidden = isPrivate;
  byId("delete-confirm").hidden = true;
  byId("delete-button").hidden = false;
  byId("delete-question").textContent = `Delete “${record.title}” for good?`;
  hush(byId("owner-message"));
  renderShares(record.id);
}

function render(record) {
  shown = record;
  byId("picture-title").textContent = record.title;
  const mine = record.owner === currentUser();
  byId("picture-owner").textContent = mine ? `${record.owner} (you)` : record.owner;
  const badge = byId("picture-visibility");
  badge.textContent = record.visibility === "public" ? "Public" : "Private";
  badge.dataset.visibility = record.visibility;
  byId("picture-size").textContent = `${record.width} × ${record.height} pixels`;
  byId("picture-added").textContent = day(record.created_at);
  const img = byId("picture-image");
  img.alt = record.title;
  loadPicture(record, img, byId("picture-frame"), loads.signal);
  renderOwnerTools(record);
  byId("picture").hidden = false;
}

/** Show picture `id` (GET /cats/{id}: the server decides whether the caller may see it). */
export async function showPicture(id) {
  leavePicture();
  const message = byId("picture-message");
  const signal = loads.signal;
  byId("picture-image").hidden = true;
  byId("picture-image").removeAttribute("src");
  say(message, "Loading the picture…", "info");
  try {
    const record = await getCat(id, signal);
    if (signal.aborted) return;
    hush(message);
    render(record);
    document.title = `${record.title} · Lanyard`;
    focusHeading(byId("view-picture"));
  } catch (error) {
    if (error instanceof SessionEnded || signal.aborted) return;
    if (error instanceof ApiError && error.status === 429) {
      const used = "Looking at a picture costs one cat from your quota, and today's is used up. ";
      say(message, [used, ...resetSentence(error.resetsAt)]);
    } else {
      say(message, explain(error, "show this picture"));
    }
  }
}

/** Let go of the picture on screen (and its image). */
export function leavePicture() {
  loads.abort();
  loads = new AbortController();
  byId("picture-image").removeAttribute("src");
  shown = null;
  byId("picture").hidden = true;
  hush(byId("picture-message"));
}

export function setUpPicture(afterDelete) {
  onDeleted = afterDelete;
  byId("share-form").addEventListener("submit", (event) => {
    event.preventDefault();
    changeShare(byId("share-username").value, event.submitter?.value !== "unshare");
  });
  byId("delete-button").addEventListener("click", () => {
    byId("delete-button").hidden = true;
    byId("delete-confirm").hidden = false;
    byId("delete-no").focus();
  });
  byId("delete-no").addEventListener("click", () => {
    byId("delete-confirm").hidden = true;
    byId("delete-button").hidden = false;
    byId("delete-button").focus();
  });
  byId("delete-yes").addEventListener("click", async () => {
    const record = shown;
    try {
      await deleteCat(record.id);
    } catch (error) {
      if (!(error instanceof SessionEnded)) say(byId("owner-message"), explain(error, "delete it"));
      return;
    }
    forgetUpload(record.id);
    onDeleted(record);
  });
}
