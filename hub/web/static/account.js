// The account page: change the password, see the open sessions, sign one out or all of them.
import {
  $, ApiError, _, api, clock, day, getJson, h, notify, showError, token, whenSignedOut,
} from "./hub.js";

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

function showSignedOut() {
  $("account").hidden = true;
  $("signed-out").hidden = false;
}
whenSignedOut(showSignedOut);

// "2 April 2026, 14:05": when a session was opened or last used, on the clock of France.
const when = (iso) => `${day(iso)}, ${clock(iso)}`;

async function loadSessions() {
  const sessions = await getJson("/auth/sessions");
  $("sessions").replaceChildren(...sessions.map((s) => h("li", { "data-session": s.id },
    h("strong", {}, s.description || _("Unknown browser")),
    s.current ? h("span", { class: "badge st-verified" }, _("this device")) : null,
    h("br"),
    h("span", { class: "muted" }, _("Opened {when}", { when: when(s.created_at) })),
    s.last_used_at && s.last_used_at !== s.created_at ? h("span", { class: "muted" }, " · ", _("last used {when}", { when: when(s.last_used_at) })) : null,
    s.current ? null : h("button", {
      type: "button", class: "secondary",
      onclick: (ev) => act(ev.currentTarget, async () => {
        await api("DELETE", `/auth/sessions/${s.id}`);
        notify(_("That session is signed out."));
        await loadSessions();
      }),
    }, _("End this session")),
  )));
}

async function start() {
  if (!token.get()) { showSignedOut(); return; }
  await act(null, async () => {
    const me = await getJson("/auth/me");
    $("whoami").textContent = _("Signed in: {name} ({email})", { name: me.name, email: me.email });
    $("password-username").value = me.email;
    $("account").hidden = false;
    await loadSessions();
  });
}

$("password-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  act(ev.submitter, async () => {
    await api("POST", "/auth/password", {
      current_password: $("password-current").value, new_password: $("password-new").value,
    });
    $("password-current").value = "";
    $("password-new").value = "";
    notify(_("Your password is changed; your other sessions are signed out."));
    await loadSessions();
  });
});

$("everywhere").addEventListener("click", (ev) => act(ev.currentTarget, async () => {
  if (!confirm(_("Sign out everywhere, this device included?"))) return;
  await api("POST", "/auth/logout-everywhere");
  token.clear();
  showSignedOut();
  notify(_("You are signed out everywhere."));
}));

start();
