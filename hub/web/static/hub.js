// What every page of the hub shares: the page's language and its words, numbers and dates in
// that language, DOM building that puts user text in as text nodes, the signed-in token and the
// API client. Plain JavaScript, no build step: each page's script imports this module.

// --- Language and words ------------------------------------------------------------------------

// The server renders each page in one language and says which on <html lang>.
export const LANG = document.documentElement.lang === "en" ? "en" : "fr";
// The same locales as the server's Babel: British English writes dates day first, as France does.
export const LOCALE = LANG === "en" ? "en-GB" : "fr-FR";

// The catalogue the server names on <html data-catalogue> (versioned, so cached for good).
// English is the source language: its catalogue is empty and need not be fetched.
async function loadCatalogue() {
  const url = document.documentElement.dataset.catalogue;
  if (LANG === "en" || !url) return {};
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.json()).messages || {};
  } catch (err) {
    // Without its catalogue the page still works, in English: better than not at all.
    console.warn("catalogue:", err.message);
    return {};
  }
}
const MESSAGES = await loadCatalogue();
const PLURALS = new Intl.PluralRules(LOCALE);

// Parameters that name things (ids, sequence numbers) are shown as typed, not as quantities.
const isReference = (name) =>
  name === "id" || name.endsWith("_id") || ["seq", "route", "year"].includes(name);

// ``{name}`` fields of a message filled from ``params``; numbers grouped the reader's way.
export function format(template, params) {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) return whole;
    const value = params[name];
    if (typeof value === "number" && !isReference(name)) return number(value);
    return String(value ?? "");
  });
}

// English ``text`` in the page's language, with its ``{name}`` fields filled.
export function _(text, params) {
  const translated = MESSAGES[text];
  return format(typeof translated === "string" ? translated : text, params);
}

// The form of a plural message that suits ``n`` (also passed as the field ``{n}``).
export function ngettext(singular, plural, n, params) {
  const forms = MESSAGES[singular];
  const values = { n, ...(params || {}) };
  if (forms && typeof forms === "object") {
    return format(forms[PLURALS.select(n)] ?? forms.other, values);
  }
  return format(new Intl.PluralRules("en").select(n) === "one" ? singular : plural, values);
}

// A word whose translation depends on ``context`` ("batch state", "role", "site kind", …).
export function pgettext(context, text, params) {
  const translated = MESSAGES[`${context}\u0004${text}`];
  return format(typeof translated === "string" ? translated : text, params);
}

// --- Numbers and dates -----------------------------------------------------------------------

export function number(value, digits = 0) {
  return Number(value).toLocaleString(LOCALE, { maximumFractionDigits: digits });
}

// An ISO day ("2026-04-02") as a reader writes it ("2 avril 2026", "2 April 2026"). The day is
// read and shown in UTC so that no time zone moves it to the day before.
export function day(iso) {
  if (!iso) return "";
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(date.getTime())) return iso;
  const options = { day: "numeric", month: "long", year: "numeric" };
  if (iso.length === 10) options.timeZone = "UTC";
  // No-break spaces: "1 décembre 2026" is never split over two lines.
  return date.toLocaleDateString(LOCALE, options).replace(/ /g, "\u00a0");
}

// The hour and minute of a moment, on the clock of French sites.
export function clock(iso, timeZone = "Europe/Paris") {
  return new Date(iso).toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit", timeZone });
}

// Today plus ``offsetDays``, as the ISO day an <input type=date> takes, on the phone's clock.
export function isoDay(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// --- DOM -------------------------------------------------------------------------------------

export const $ = (id) => document.getElementById(id);

// An element with attributes and children. Strings become text nodes, never HTML, because
// names and addresses come from users. ``on…`` attributes become listeners, and ``style`` is
// refused: the Content-Security-Policy forbids inline styles, so use a class.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "style") throw new Error("h(): inline styles are blocked by the CSP; use a class");
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) {
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
  return el;
}

// --- The signed-in token, shared by every page ------------------------------------------------

const TOKEN_KEY = "hub.token";
// Where the pages kept it before they shared one key: a user signed in then stays signed in.
for (const old of ["hub.app.token", "hub.driver.token", "hub_token"]) {
  const value = localStorage.getItem(old);
  if (value && !localStorage.getItem(TOKEN_KEY)) localStorage.setItem(TOKEN_KEY, value);
  localStorage.removeItem(old);
}

export const token = {
  get: () => localStorage.getItem(TOKEN_KEY),
  set(value) { localStorage.setItem(TOKEN_KEY, value); showSignOut(); },
  clear() { localStorage.removeItem(TOKEN_KEY); showSignOut(); },
};

// --- Which page is whose ------------------------------------------------------------------------

// The page of each role: hospital staff and makers on /app, drivers on /driver, coordinators
// (and admins) on /coordinate. A page tells a user of another role where to go.
const HOME_OF = {
  hospital_staff: "/app", maker: "/app", driver: "/driver", coordinator: "/coordinate",
  admin: "/coordinate",
};
export const pageOf = (role) => HOME_OF[role] || "/app";

// Show the signed-in ``me`` where their page is, in the #wrong-page notice; hidden if ``me``
// is null. The words say whose page this is and link to theirs.
export function pointToOwnPage(me) {
  const box = $("wrong-page");
  if (!box) return;
  box.replaceChildren();
  box.hidden = !me;
  if (!me) return;
  const own = pageOf(me.role);
  const words = {
    "/app": _("Your page is the one for hospitals and makers."),
    "/driver": _("Your page is the drivers’ page."),
    "/coordinate": _("Your page is the coordinators’ page."),
  };
  box.append(_("This page is not for your account ({name}).", { name: me.name }), " ", words[own], " ",
    h("a", { href: `${own}?lang=${LANG}`, id: "own-page" }, _("Go to my page")));
}

// --- The API client ---------------------------------------------------------------------------

// An error whose message is for the user, already in the page's language.
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

const signedOutHandlers = [];
// ``fn`` runs when the token stops working or the user signs out (to show the sign-in form).
export function whenSignedOut(fn) { signedOutHandlers.push(fn); }
function signedOut() {
  for (const fn of signedOutHandlers) fn();
  if (!signedOutHandlers.length) location.reload();
}

// Signed out in another tab (or its token dropped there): this page forgets everything too.
window.addEventListener("storage", (event) => {
  if (event.key === TOKEN_KEY && !event.newValue) { showSignOut(); signedOut(); }
});

// Words standing in for the server's when it has none to give (a proxy's error page, say).
function statusText(status) {
  if (status === 401) return _("Wrong credentials, or your session has ended.");
  if (status === 403) return _("You are not allowed to do that.");
  if (status === 404) return _("Not found.");
  if (status === 429) return _("Too many attempts; wait a minute.");
  return _("Server error; try again.");
}

// Call the API: ``api("POST", "/needs", body, headers)`` under /api/v1, with the token, asking
// for answers in the page's language. Resolves to the Response when it is a success; otherwise
// throws an ApiError whose message is for the user.
export async function api(method, path, body, extraHeaders) {
  const headers = { Accept: "application/json", "Accept-Language": LANG, ...(extraHeaders || {}) };
  const bearer = token.get();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  // A file (a Blob) is sent as it is, as the raw body: spreadsheet imports.
  const raw = body instanceof Blob;
  if (body !== undefined && !raw) headers["Content-Type"] = "application/json";
  if (raw) headers["Content-Type"] = body.type || "application/octet-stream";
  let r;
  try {
    r = await fetch(path.startsWith("/api/") ? path : `/api/v1${path}`, {
      method, headers, body: body === undefined || raw ? body : JSON.stringify(body),
    });
  } catch (_err) {
    // On a phone this is mostly no signal: say so rather than "Failed to fetch".
    throw new ApiError(_("The server does not answer. Check the connection and try again."), 0);
  }
  if (r.status === 401 && bearer) {
    token.clear();
    signedOut();
    throw new ApiError(_("Your session has ended: sign in again."), 401);
  }
  if (!r.ok) {
    let detail = "";
    try { detail = (await r.json()).detail || ""; } catch (_err) { /* not JSON */ }
    // The server answers in the page's language, so its detail says what went wrong; a
    // conflict and invalid input get a short frame, the other words stand in for a missing one.
    if (r.status === 409) throw new ApiError(_("Not possible: {detail}", { detail }), 409);
    if (r.status === 422) throw new ApiError(_("Invalid input: {detail}", { detail }), 422);
    throw new ApiError(detail || statusText(r.status), r.status);
  }
  return r;
}

export const getJson = async (path) => (await api("GET", path)).json();

// Fetch a file with the token (a plain link would carry none) and save it as ``filename``.
export async function download(path, filename) {
  const response = await api("GET", path);
  const url = URL.createObjectURL(await response.blob());
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// --- The header every page shares ---------------------------------------------------------------

function showSignOut() {
  const button = $("signout");
  if (button) button.hidden = !localStorage.getItem(TOKEN_KEY);
}

const signOutButton = $("signout");
if (signOutButton) {
  showSignOut();
  signOutButton.addEventListener("click", async () => {
    const bearer = token.get();
    signOutButton.disabled = true;
    try {
      // Ends the session on the server too; signed out here whatever it answers.
      await fetch("/api/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${bearer}` } });
    } catch (_err) { /* no signal: the token is forgotten here all the same */ }
    token.clear();
    signOutButton.disabled = false;
    signedOut();
  });
}

// --- Messages next to where the user acted ------------------------------------------------------

// A page's messages (its #notice and #error, both aria-live) are moved next to what the user
// last acted on: after the form or card of the button pressed, inside a list item, so that a
// message is seen where the eyes are (not 3,000 px above) and read out by screen readers.
let actor = null;
// How to find the place again once the list around it is drawn anew, taken when the user acts
// (afterwards the old card may be out of the page, with no parents left to name).
let actorKeys = [];
for (const type of ["click", "submit", "change"]) {
  document.addEventListener(type, (ev) => {
    const el = type === "submit" ? ev.submitter || ev.target : ev.target;
    if (el instanceof Element && !el.closest("header")) {
      actor = el;
      actorKeys = keysOf(el.closest(BLOCKS) || el);
    }
  }, true);
}

// The blocks a message goes after, nearest first, and the attributes that find them again
// once a list is drawn anew (the card of batch 12 is a new element, with the same data-batch).
const BLOCKS = "form, [data-batch], [data-need], [data-site], [data-stop], .card, li, section";
const KEYS = ["data-batch", "data-need", "data-site", "data-stop", "id"];

function keysOf(el) {
  const keys = [];
  for (let node = el; node && node !== document.body; node = node.parentElement) {
    const attr = KEYS.find((a) => node.hasAttribute(a));
    if (attr) keys.push(`${node.tagName.toLowerCase()}[${attr}="${CSS.escape(node.getAttribute(attr))}"]`);
  }
  return keys;
}

// checkVisibility: what a closed <details> holds still has boxes (getClientRects), unseen.
const shown = (el) => el.isConnected
  && (el.checkVisibility ? el.checkVisibility() : el.getClientRects().length > 0);

// Where the message goes now: the block acted on, or the same block redrawn, else the top.
function anchor() {
  if (!actor) return null;
  const block = actor.closest(BLOCKS);
  if (block && shown(block)) return block;
  for (const key of actorKeys) {
    const found = document.querySelector(key);
    if (found && shown(found)) return found.closest(BLOCKS) || found;
  }
  return null;
}

const boxes = {};
function box(id, role) {
  if (!boxes[id]) {
    const el = $(id) || h("p", { id, class: id, role, "aria-live": role === "alert" ? "assertive" : "polite" });
    // Where it was on the page: a message with nothing to stand next to goes back there.
    const home = document.createComment(id);
    if (el.isConnected) el.before(home); else ($("main") || document.body).prepend(home);
    boxes[id] = { el, home };
  }
  return boxes[id];
}

function place(id, role, message) {
  const { el, home } = box(id, role);
  if (!message) { el.textContent = ""; return; }
  const block = anchor();
  if (!block) home.after(el);
  else if (block.tagName === "LI") block.append(el); // a list holds only its items
  else if (block.nextElementSibling !== el) block.after(el);
  // The words change once the region is in its place, so that it is their change that is read.
  el.textContent = message;
  // Seen means below the sticky header, not under it.
  const header = document.querySelector("body > header");
  const top = header ? header.getBoundingClientRect().bottom : 0;
  const rect = el.getBoundingClientRect();
  if (rect.top < top || rect.bottom > window.innerHeight) el.scrollIntoView({ block: "center" });
}

// A success, in the page's words, next to where the user acted (an empty message clears it).
export function notify(message) {
  place("notice", "status", message);
  box("error", "alert").el.textContent = "";
}

// A failure, next to where the user acted, read out at once (role=alert).
export function showError(message) {
  place("error", "alert", message);
  if (message) box("notice", "status").el.textContent = "";
}
