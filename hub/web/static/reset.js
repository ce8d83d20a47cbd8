// The page a one-time reset link opens (/reset#TOKEN), or where a forgotten password is reported.
// The token is in the fragment, which a browser never sends to a server: it reaches the hub
// only in the body of the request that uses it.
import { $, ApiError, _, api, notify, showError, token } from "./hub.js";
let linkToken = "";


async function act(button, fn) {
  if (button) button.disabled = true;
  try {
    await fn();
  } catch (e) {
    showError(e instanceof ApiError ? e.message : String(e && e.message ? e.message : e));
  } finally {
    if (button) button.disabled = false;
  }
}

// The link's token, read when the page opens and again when only the fragment changes (a link
// opened in a tab already showing this page does not reload it).
function readLink() {
  linkToken = decodeURIComponent(location.hash.slice(1));
  $("set").hidden = !linkToken;
  $("ask").hidden = Boolean(linkToken);
  $("done").hidden = true;
  notify("");
}
readLink();
window.addEventListener("hashchange", readLink);

$("set-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  act(ev.submitter, async () => {
    await api("POST", "/auth/password-reset/confirm", { token: linkToken, password: $("set-password").value });
    $("set-password").value = "";
    // Used up: out of the address bar and of this tab's history.
    history.replaceState(null, "", location.pathname + location.search);
    // Every session of the account has ended, this browser's too.
    if (token.get()) token.clear();
    $("set").hidden = true;
    $("done").hidden = false;
    notify("");
  });
});

$("ask-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  act(ev.submitter, async () => {
    const r = await api("POST", "/auth/password-reset", { email: $("ask-email").value.trim() });
    notify((await r.json()).detail);
  });
});
