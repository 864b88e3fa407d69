// The app: which view shows for which address (#/gallery, #/upload, #/cats/{id}), the
// header, logout, and what happens when the session ends.

import { getMe } from "./api.js";
import { currentUser, logout, session, signedIn } from "./auth.js";
import { byId, focusHeading, hush, say } from "./dom.js";
import { duration, when } from "./format.js";
import { SessionEnded } from "./http.js";
import { clearGallery, setUpGallery, showGallery } from "./gallery.js";
import { setUpAuthForms, showAuthForms } from "./login.js";
import { leavePicture, setUpPicture, showPicture } from "./picture.js";
import { onQuota, resetQuota } from "./quota.js";
import { resetUpload, setUpUpload } from "./upload.js";

const VIEWS = ["auth", "gallery", "picture", "upload"];
const TITLES = {
  auth: "Log in",
  gallery: "Gallery",
  upload: "Upload a picture",
  picture: "Picture",
};
const ENDED = {
  logout: "You have logged out: this session's tokens stop working everywhere within seconds.",
  expired: "Your session has ended. Please log in again.",
  elsewhere: "You were logged out in another tab. Please log in again.",
};

let current = null;
let flashNext = null;

/** Show a notice at the top of the next view (e.g. after an upload or a delete). */
function flash(text) {
  flashNext = text;
}

function showView(name) {
  const changed = current !== name;
  current = name;
  for (const view of VIEWS) byId(`view-${view}`).hidden = view !== name;
  const inside = name !== "auth";
  byId("app-nav").hidden = !inside;
  byId("account").hidden = !inside;
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${TITLES[name]} · Lanyard`;
  if (flashNext) say(byId("flash"), flashNext, "success");
  else hush(byId("flash"));
  flashNext = null;
  return changed;
}

function route({ focus = true } = {}) {
  if (current === "picture") leavePicture();
  if (!signedIn()) {
    showView("auth");
    return;
  }
  byId("whoami").textContent = currentUser() ?? "";
  const hash = location.hash;
  const picture = /^#\/cats\/([A-Za-z0-9_-]{1,64})$/.exec(hash);
  if (picture) {
    showView("picture");
    showPicture(picture[1]);
    return;
  }
  const name = hash === "#/upload" ? "upload" : "gallery";
  if (name === "gallery" && hash !== "#/gallery") {
    history.replaceState(null, "", "#/gallery");
  }
  showView(name);
  if (name === "gallery") showGallery();
  if (focus) focusHeading(byId(`view-${name}`));
}

/** Go to `hash`, re-rendering even when it is already the address. */
function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function renderQuota(quota) {
  byId("quota").hidden = quota === null;
  byId("quota-summary").hidden = quota === null;
  if (quota === null) return;
  byId("quota-remaining").textContent = String(quota.remaining);
  byId("quota-limit").textContent = String(quota.limit);
  const meter = byId("quota-meter");
  meter.max = quota.limit;
  meter.value = quota.remaining;
  meter.low = quota.limit * 0.2;
  meter.high = quota.limit * 0.5;
  meter.optimum = quota.limit;
  byId("quota-used").textContent = String(quota.used);
  byId("quota-left").textContent = String(quota.remaining);
  byId("quota-of").textContent = String(quota.limit);
  const reset = byId("quota-reset");
  reset.dateTime = quota.resetsAt.toISOString().replace(/\.\d{3}Z$/, "Z");
  reset.textContent = when(quota.resetsAt);
  const seconds = (quota.resetsAt.getTime() - Date.now()) / 1000;
  byId("quota-reset-in").textContent = `(in ${duration(seconds)})`;
}

function signedInNow(notice) {
  if (notice) flash(notice);
  getMe().catch(() => {}); // the quota for the header (not charged)
  if (location.hash === "" || location.hash === "#/login") navigate("#/gallery");
  else route();
}

function start() {
  setUpAuthForms(signedInNow);
  setUpGallery();
  setUpUpload((record) => {
    flash(`Uploaded “${record.title}”.`);
    navigate(`#/cats/${encodeURIComponent(record.id)}`);
  });
  setUpPicture((record) => {
    flash(`Deleted “${record.title}”.`);
    navigate("#/gallery");
  });
  onQuota(renderQuota);

  byId("logout").addEventListener("click", () => {
    logout();
  });
  session.addEventListener("ended", (event) => {
    clearGallery();
    resetUpload();
    resetQuota();
    leavePicture();
    showView("auth");
    showAuthForms(ENDED[event.detail] ?? ENDED.expired);
    byId("login-username").focus();
  });
  session.addEventListener("started", () => {
    clearGallery();
    if (signedIn()) signedInNow(`Signed in as ${currentUser()} in another tab.`);
  });
  window.addEventListener("hashchange", () => route());
  // The address holds the route, so the skip link moves focus instead of changing it.
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    byId("main").focus();
  });

  route({ focus: false });
  if (signedIn()) {
    getMe().catch((error) => {
      if (!(error instanceof SessionEnded)) console.warn("could not read the quota", error);
    });
  } else {
    byId("login-username").focus();
  }
}

start();
