// The login and register forms, and what each failure means to a person.

import { login, register } from "./auth.js";
import { byId, hush, say } from "./dom.js";
import { wait } from "./format.js";
import { ApiError, NetworkError } from "./http.js";
import { config } from "./config.js";

function explain(error, action) {
  if (error instanceof NetworkError) {
    const where = config.authUrl;
    return `Can't reach the auth service (${where}). Check that it is running, then try again.`;
  }
  if (!(error instanceof ApiError)) return `Something went wrong while trying to ${action}.`;
  switch (error.status) {
    case 401:
      return "Wrong username or password.";
    case 409:
      return "That username is taken. Please choose another one.";
    case 422:
      return `Please check what you typed: ${error.detail.replace(/\.$/, "")}.`;
    case 429: {
      const seconds = error.retryAfter;
      const what = action === "log in" ? "failed attempts" : "new accounts from this address";
      return seconds === null
        ? `Too many ${what}. Please wait a while, then try again.`
        : `Too many ${what}. Please try again in ${wait(seconds)}.`;
    }
    default:
      return error.status >= 500
        ? "The auth service is having trouble. Please try again in a moment."
        : `Couldn't ${action}: ${error.detail.replace(/\.$/, "")}.`;
  }
}

async function submitting(form, work) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    await work();
  } finally {
    button.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

/** Wire both forms; `onSignedIn` runs after a successful login (or registration). */
export function setUpAuthForms(onSignedIn) {
  const loginForm = byId("login-form");
  const loginMessage = byId("login-message");
  const registerForm = byId("register-form");
  const registerMessage = byId("register-message");

  loginForm.addEventListener("submit", (event) => {
    event.preventDefault();
    hush(loginMessage);
    const { username, password } = Object.fromEntries(new FormData(loginForm));
    submitting(loginForm, async () => {
      try {
        await login(username, password);
      } catch (error) {
        say(loginMessage, explain(error, "log in"));
        byId(error?.status === 401 ? "login-password" : "login-username").focus();
        return;
      }
      loginForm.reset();
      onSignedIn(null);
    });
  });

  registerForm.addEventListener("submit", (event) => {
    event.preventDefault();
    hush(registerMessage);
    const { username, password } = Object.fromEntries(new FormData(registerForm));
    submitting(registerForm, async () => {
      let canonical;
      try {
        canonical = await register(username, password);
      } catch (error) {
        say(registerMessage, explain(error, "create the account"));
        byId("register-username").focus();
        return;
      }
      try {
        await login(canonical, password);
      } catch (error) {
        byId("login-username").value = canonical;
        say(registerMessage, `Account ${canonical} created. ${explain(error, "log in")}`);
        return;
      }
      registerForm.reset();
      onSignedIn(`Welcome, ${canonical}! Your account is ready.`);
    });
  });
}

/** Show the forms; `notice` (e.g. "your session ended") goes above the login form. */
export function showAuthForms(notice) {
  hush(byId("register-message"));
  if (notice) say(byId("login-message"), notice, "info");
  else hush(byId("login-message"));
}
