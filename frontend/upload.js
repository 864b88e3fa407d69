// Upload: preview the picture, check type, size and title here, then POST /cats.
// The server checks everything again (it decodes the image); these checks only spare the
// user a wasted upload and give a clear message.

import { uploadCat } from "./api.js";
import { byId, hush, say } from "./dom.js";
import { bytes } from "./format.js";
import { ApiError, NetworkError, SessionEnded } from "./http.js";
import { UrlBag, showBlob } from "./images.js";
import { rememberUpload } from "./mine.js";

export const MAX_BYTES = 5 * 1024 * 1024;
const TYPES = new Map([
  ["image/png", "PNG"],
  ["image/jpeg", "JPEG"],
  ["image/gif", "GIF"],
  ["image/webp", "WebP"],
]);

const previewUrls = new UrlBag();
let onUploaded = () => {};
let choosing = 0; // the latest file chosen: an earlier, slower check must not overwrite it

/** The image type from the file's first bytes (what the server will also find), or null. */
async function sniff(file) {
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  const starts = (...values) => values.every((value, i) => head[i] === value);
  const ascii = (from, text) => [...text].every((ch, i) => head[from + i] === ch.charCodeAt(0));
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (ascii(0, "GIF87a") || ascii(0, "GIF89a")) return "image/gif";
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return "image/webp";
  return null;
}

/** Why this file can't be uploaded, or null when it can. */
async function fileProblem(file) {
  if (!file) return "Please choose a picture to upload.";
  const kinds = "PNG, JPEG, GIF or WebP";
  if (!TYPES.has(file.type)) return `“${file.name}” isn't a ${kinds} image.`;
  if (file.size > MAX_BYTES) {
    return `“${file.name}” is ${bytes(file.size)}; pictures can be at most 5 MiB.`;
  }
  if (file.size === 0) return `“${file.name}” is empty.`;
  if ((await sniff(file)) === null) {
    return `“${file.name}” doesn't look like a ${kinds} image inside.`;
  }
  return null;
}

function titleProblem(title) {
  const length = [...title.trim()].length; // code points, as the server counts
  if (length === 0) return "Please give the picture a title.";
  if (length > 100) return `The title is ${length} characters long; at most 100, please.`;
  return null;
}

function explain(error) {
  if (error instanceof NetworkError) return "Can't reach the vending machine. Please try again.";
  if (!(error instanceof ApiError)) return "Something went wrong during the upload.";
  switch (error.status) {
    case 413:
      return "The picture is too large: at most 5 MiB, please.";
    case 415:
      return "The vending machine couldn't read that picture as PNG, JPEG, GIF or WebP.";
    case 422:
      return `The vending machine refused the upload: ${error.detail}.`;
    default:
      return `The upload failed: ${error.detail}.`;
  }
}

async function preview(file) {
  const frame = byId("upload-preview");
  const img = byId("upload-preview-image");
  previewUrls.revokeAll();
  img.hidden = true;
  img.removeAttribute("src");
  frame.hidden = true;
  const message = byId("upload-message");
  hush(message);
  if (!file) return;
  const turn = ++choosing;
  const problem = await fileProblem(file);
  if (turn !== choosing) return;
  if (problem) {
    say(message, problem);
    return;
  }
  frame.hidden = false;
  if (!(await showBlob(img, file, previewUrls))) {
    frame.hidden = true;
    say(message, `“${file.name}” can't be shown: it may be damaged.`);
  }
  if (!byId("upload-title").value.trim()) {
    byId("upload-title").value = file.name.replace(/\.[^.]+$/, "").slice(0, 100);
  }
}

async function submit(form) {
  const message = byId("upload-message");
  const button = byId("upload-submit");
  hush(message);
  const file = byId("upload-file").files[0];
  const title = byId("upload-title").value;
  const badFile = await fileProblem(file);
  const problem = badFile ?? titleProblem(title);
  if (problem) {
    say(message, problem);
    byId(badFile ? "upload-file" : "upload-title").focus();
    return;
  }
  const body = new FormData();
  body.append("image", file, file.name);
  body.append("title", title.trim());
  body.append("visibility", new FormData(form).get("visibility") ?? "private");
  button.disabled = true;
  say(message, "Uploading…", "info");
  let record;
  try {
    record = await uploadCat(body);
  } catch (error) {
    if (error instanceof SessionEnded) return;
    say(message, explain(error));
    return;
  } finally {
    button.disabled = false;
  }
  hush(message);
  resetUpload();
  rememberUpload(record);
  onUploaded(record);
}

/** Empty the form and its preview. */
export function resetUpload() {
  byId("upload-form").reset();
  previewUrls.revokeAll();
  byId("upload-preview").hidden = true;
  byId("upload-preview-image").hidden = true;
  byId("upload-preview-image").removeAttribute("src");
  hush(byId("upload-message"));
}

export function setUpUpload(afterUpload) {
  onUploaded = afterUpload;
  const form = byId("upload-form");
  byId("upload-file").addEventListener("change", (event) => preview(event.target.files[0]));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(form);
  });
}
