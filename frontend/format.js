// Human wording for times, durations and sizes.

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: "long" });
const date = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** "3 h 12 min", "12 min", "45 s" for a number of seconds (kept on one line). */
export function duration(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const nb = (text) => text.replaceAll(" ", "\u00a0");
  if (s < 60) return nb(`${s} s`);
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return nb(`${minutes} min`);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return nb(rest ? `${hours} h ${rest} min` : `${hours} h`);
}

/** "15 minutes", "40 seconds": a wait, rounded up, for sentences like "try again in …". */
export function wait(seconds) {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return s === 1 ? "1 second" : `${s} seconds`;
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return minutes === 1 ? "1 minute" : `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return hours === 1 ? "1 hour" : `${hours} hours`;
}

/** "today at 01:00", "tomorrow at 01:00" or "Friday at 01:00", in the user's time zone. */
export function when(moment, now = new Date()) {
  const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((day(moment) - day(now)) / 86_400_000);
  const name = days === 0 ? "today" : days === 1 ? "tomorrow" : weekday.format(moment);
  return `${name} at ${clock.format(moment)}`;
}

/** A `<time>` element for a moment, with its machine-readable datetime attribute. */
export function timeElement(moment, text) {
  const node = document.createElement("time");
  node.dateTime = moment.toISOString().replace(/\.\d{3}Z$/, "Z");
  node.textContent = text;
  return node;
}

/** "12 Mar 2026" for an RFC 3339 timestamp. */
export function day(rfc3339) {
  return date.format(new Date(rfc3339));
}

/** "1.2 MB", "640 KB" for a size in bytes. */
export function bytes(count) {
  if (count < 1024) return `${count} bytes`;
  if (count < 1024 * 1024) return `${Math.round(count / 1024)} KB`;
  return `${(count / (1024 * 1024)).toFixed(1)} MB`;
}

/** "Your quota resets today at 01:00 (in 3 h 12 min)." as text and a <time> element. */
export function resetSentence(resetsAt) {
  return [
    "Your quota resets ",
    timeElement(resetsAt, when(resetsAt)),
    ` (in ${duration((resetsAt.getTime() - Date.now()) / 1000)}).`,
  ];
}
