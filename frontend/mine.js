// The pictures uploaded in this tab's session, and whom they were shared with.
// The API has no "my pictures" listing, so the app remembers them (sessionStorage, forgotten
// at logout with the tokens) to offer them again, with a "take back" button per share.

const KEY = "lanyard.uploads";

function load() {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? "[]");
    return Array.isArray(value) ? value.filter((item) => typeof item?.id === "string") : [];
  } catch {
    return [];
  }
}

function save(items) {
  sessionStorage.setItem(KEY, JSON.stringify(items));
}

/** The remembered uploads of `owner`, newest first. */
export const myUploads = (owner) => load().filter((item) => item.owner === owner);

/** Remember one of the user's pictures (first in the list; known shares are kept). */
export function rememberUpload(record) {
  const { id, title, owner, visibility, image_url } = record;
  const items = load();
  const shares = items.find((item) => item.id === id)?.shares ?? [];
  const item = { id, title, owner, visibility, image_url, shares };
  save([item, ...items.filter((other) => other.id !== id)]);
}

export const isRemembered = (id) => load().some((item) => item.id === id);

export function forgetUpload(id) {
  save(load().filter((item) => item.id !== id));
}

/** Usernames this picture was shared with from this tab. */
export const sharesOf = (id) => load().find((item) => item.id === id)?.shares ?? [];

export function setShared(id, username, shared) {
  save(
    load().map((item) => {
      if (item.id !== id) return item;
      const others = (item.shares ?? []).filter((name) => name !== username);
      return { ...item, shares: shared ? [...others, username] : others };
    }),
  );
}
