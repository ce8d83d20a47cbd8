// The driver's page: sign in, plan a route from where you are, follow it stop by stop on a phone.
import {
  $, LANG, _, api, clock, getJson, h, ngettext, number, pgettext, pointToOwnPage, showError,
  token, whenSignedOut,
} from "./hub.js";
import { initSiteForm } from "./site-form.js";

const STATUSES = {
  active: pgettext("route status", "active"), done: pgettext("route status", "done"),
  released: pgettext("route status", "given back"),
};
let current = null; // the route on screen
const designs = {}; // slug -> name in the page's language, once loaded


// One of: "signin" (signed out), "plan", "route", or "elsewhere" (not a driver: a pointer).
function show(which) {
  $("auth").hidden = which !== "signin";
  $("plan").hidden = which !== "plan";
  $("route").hidden = which !== "route";
  $("whoami").hidden = which === "signin";
  if (which !== "elsewhere") pointToOwnPage(null);
}

whenSignedOut(() => {
  // Nothing of the last user's route stays on screen, nor in the forms.
  current = null;
  $("stops").replaceChildren();
  $("map").replaceChildren();
  $("route-title").textContent = "";
  $("route-summary").textContent = "";
  $("whoami").textContent = "";
  showError("");
  show("signin");
});

async function loadDesigns() {
  try {
    for (const d of await (await api("GET", "/designs")).json()) {
      designs[d.slug] = (LANG === "fr" ? d.name_fr || d.name : d.name) || d.slug;
    }
  } catch (_err) { /* the slugs will do */ }
}

function drawMap(route) {
  // Equirectangular, squeezed by cos(latitude): true enough for a town-sized route.
  const svg = $("map");
  const NS = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const pts = [[route.start_lat, route.start_lon], ...route.stops.map((s) => [s.lat, s.lon])];
  const k = Math.cos((pts.reduce((a, p) => a + p[0], 0) / pts.length) * Math.PI / 180);
  const xs = pts.map((p) => p[1] * k), ys = pts.map((p) => -p[0]);
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const W = 320, H = 200, pad = 18;
  // At least about 1 km across: sites in one street (or found by one postcode) stay in the
  // middle of the box instead of being blown up into its corner.
  const SPAN = 0.01;
  const w = Math.max(maxX - minX, SPAN), ht = Math.max(maxY - minY, SPAN);
  const s = Math.min((W - 2 * pad) / w, (H - 2 * pad) / ht);
  const cx = (minX + maxX) / 2, cy = (minY + maxY) / 2; // centred in the box
  const P = pts.map((_p, i) => [W / 2 + (xs[i] - cx) * s, H / 2 + (ys[i] - cy) * s]);
  // SVG presentation attributes (fill, stroke), not inline styles: the CSP allows them.
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [a, v] of Object.entries(attrs)) e.setAttribute(a, String(v));
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  const path = [...P, P[0]].map((p) => p[0].toFixed(1) + "," + p[1].toFixed(1)).join(" ");
  el("polyline", { points: path, fill: "none", stroke: "#1d4e89", "stroke-width": 2,
                   "stroke-linejoin": "round" });
  el("rect", { x: P[0][0] - 6, y: P[0][1] - 6, width: 12, height: 12, fill: "#111" });
  route.stops.forEach((stop, i) => {
    const [x, y] = P[i + 1];
    const done = stop.done_at !== null || stop.given_back;
    el("circle", { cx: x, cy: y, r: 9, fill: done ? "#767676" :
      (stop.kind === "pickup" ? "#b45500" : "#1b7f3b"), stroke: "#fff", "stroke-width": 1.5 });
    el("text", { x, y: y + 4, "text-anchor": "middle", "font-size": 10, fill: "#fff",
                 "font-weight": 700 }, String(stop.seq));
  });
}

function stopCard(route, stop) {
  const done = stop.done_at !== null || stop.given_back;
  const kind = stop.kind === "pickup" ? _("Pickup") : _("Delivery");
  const units = (n) => ngettext("{n} unit", "{n} units", n);
  const card = h("section", { class: `stop ${stop.kind}${done ? " is-done" : ""}`,
                              "data-seq": stop.seq },
    h("span", { class: "badge" }, _("{seq} · {kind}", { seq: stop.seq, kind })),
    h("h3", {}, stop.site),
    h("p", { class: "muted" }, stop.address),
    h("p", { class: "big" }, units(stop.quantity)),
    // Word joiners keep "08:00–18:00" on one line on a narrow screen.
    h("p", {}, _("Arrival {time} · open {hours}",
      { time: clock(stop.eta, stop.time_zone), hours: `${stop.opens}\u2060–\u2060${stop.closes}` })),
    // A stop done or given back has no tracking code any more (nor a maker's home address).
    h("p", { class: "muted" }, stop.batch_code
      ? _("Batch {code} · {design}", { code: stop.batch_code, design: designs[stop.design] || stop.design })
      : designs[stop.design] || stop.design),
    stop.contact_phone ? h("p", {}, `${stop.contact_name || ""} `,
      h("a", { href: "tel:" + stop.contact_phone.replace(/[^0-9+]/g, "") },
        _("Call {phone}", { phone: stop.contact_phone }))) : null,
    h("div", { class: "links" },
      h("a", { class: "button secondary", href: stop.geo_uri }, _("Navigate")),
      h("a", { class: "button secondary", href: stop.directions_url, target: "_blank",
               rel: "noopener" }, _("OSM directions"))),
  );
  if (stop.given_back) {
    card.append(h("p", { class: "big" }, "↩ ", _("Given back to other drivers")));
  } else if (done) {
    card.append(h("p", { class: "big" }, "✓ ",
      ngettext("Done with {n} unit", "Done with {n} units", stop.done_quantity)));
  } else if (route.status === "active") {
    const form = h("form", { hidden: true },
      h("label", { for: `qty-${stop.seq}` }, _("Quantity actually carried")),
      h("input", { id: `qty-${stop.seq}`, type: "number", min: 0, max: stop.quantity,
                   inputmode: "numeric", value: stop.quantity, required: true }),
      h("div", { class: "links" },
        h("button", { type: "button", class: "secondary",
                      onclick: () => { form.hidden = true; open.hidden = false; } }, _("Cancel")),
        h("button", { type: "submit", class: "done" }, _("Confirm"))));
    const open = h("button", { type: "button", class: "done",
                               onclick: () => { form.hidden = false; open.hidden = true; } },
                   _("Done"), " ✓");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const quantity = Number(form.querySelector("input").value);
      // Refusals show in the stop's card, under the button pressed, and are announced.
      if (!Number.isInteger(quantity) || quantity < 0) { said.textContent = _("Type valid numbers."); return; }
      try {
        const r = await api("POST", `/routes/${route.id}/stops/${stop.seq}/done`, { quantity });
        showError("");
        render(await r.json());
      } catch (err) { said.textContent = err.message; said.scrollIntoView({ block: "nearest" }); }
    });
    const said = h("p", { class: "error", role: "alert" });
    card.append(open, form, said);
  }
  return card;
}

function render(route) {
  current = route;
  $("route-title").textContent = _("Route {route} · {status}",
    { route: route.id, status: STATUSES[route.status] || route.status });
  $("route-summary").textContent = _("{km} km · {minutes} min",
    { km: number(route.distance_km, 1), minutes: Math.round(route.duration_min) });
  drawMap(route);
  $("stops").replaceChildren(...route.stops.map((s) => stopCard(route, s)));
  const active = route.status === "active";
  $("release").hidden = !active;
  $("release").textContent = _("Give the route back");
  $("release").dataset.armed = "";
  $("another").hidden = active;
  show("route");
}

async function start() {
  if (!token.get()) { show("signin"); return; }
  try {
    const me = await getJson("/auth/me");
    $("whoami").textContent = _("Signed in: {name}", { name: me.name });
    // Routes are for drivers (and admins, who may do anything): anyone else is shown the way
    // to their own page, and no planner.
    if (me.role !== "driver" && me.role !== "admin") {
      show("elsewhere");
      pointToOwnPage(me);
      return;
    }
    await loadDesigns();
    const list = await (await api("GET", "/routes")).json();
    const active = list.items.find((r) => r.status === "active");
    if (active) render(active); else show("plan");
  } catch (err) { showError(err.message); }
}

// Sign in, or sign up as a driver: the token is the one every page of the hub shares.
async function signIn(path, body, passwordInput) {
  try {
    const r = await api("POST", path, body);
    token.set((await r.json()).access_token);
    passwordInput.value = "";
    showError("");
    await start();
  } catch (err) { showError(err.message); }
}

$("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn("/auth/token",
    { email: $("signin-email").value.trim(), password: $("signin-password").value },
    $("signin-password"));
});

$("signup-form").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn("/auth/signup", {
    email: $("signup-email").value.trim(), password: $("signup-password").value,
    name: $("signup-name").value.trim(), role: "driver",
  }, $("signup-password"));
});

initSiteForm("start", showError);

// The route's area: anywhere within reach, or the département or région of the place typed.
function areaChoices(place) {
  const options = [h("option", { value: "" }, _("Anywhere within reach"))];
  if (place && place.departement) {
    options.push(h("option", { value: `departement:${place.departement}` },
      _("Département {code}", { code: place.departement })));
  }
  if (place && place.region) {
    options.push(h("option", { value: `region:${place.region}` }, _("Région {code}", { code: place.region })));
  }
  $("area").replaceChildren(...options);
}
$("start-place").addEventListener("place-chosen", (event) => areaChoices(event.detail));
// A position from the phone, or typed coordinates, have no codes here: only "anywhere" stays.
$("plan-form").querySelector("button.locate").addEventListener("click", () => areaChoices(null));
for (const id of ["start-lat", "start-lon"]) $(id).addEventListener("change", () => areaChoices(null));

$("plan-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if ($("start-lat").value === "" || $("start-lon").value === "") {
    showError(_("Find where you start (postcode, commune or address), or use your position."));
    $("start-place").focus();
    return;
  }
  const num = (id) => Number(String($(id).value).replace(",", "."));
  const body = {
    start_lat: num("start-lat"), start_lon: num("start-lon"),
    capacity_units: num("capacity"), available_minutes: num("minutes"),
  };
  if (Object.values(body).some((v) => !Number.isFinite(v))) { showError(_("Type valid numbers.")); return; }
  if ($("area").value) body.area = $("area").value;
  const button = $("plan-submit");
  const label = button.textContent;
  button.disabled = true;
  button.textContent = _("Planning…");
  try {
    const r = await api("POST", "/routes", body);
    showError("");
    render(await r.json());
  } catch (err) {
    showError(err.message);
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
});

$("refresh").addEventListener("click", async () => {
  if (!current) return;
  try { render(await (await api("GET", `/routes/${current.id}`)).json()); showError(""); }
  catch (err) { showError(err.message); }
});

$("gpx").addEventListener("click", async () => {
  // The file needs the bearer token, so a plain link would not do: fetch, then save. The
  // page names the file, in its own language, whatever name the server suggests.
  if (!current) return;
  try {
    const response = await api("GET", `/routes/${current.id}/gpx`);
    const url = URL.createObjectURL(await response.blob());
    const a = h("a", { href: url, download: _("route-{id}.gpx", { id: current.id }), hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (err) { showError(err.message); }
});

$("release").addEventListener("click", async () => {
  // Two taps instead of confirm(): a modal dialog is clumsy on a phone in a car park.
  const button = $("release");
  if (!button.dataset.armed) {
    button.dataset.armed = "1";
    button.textContent = _("Confirm: give back the stops not done?");
    return;
  }
  try {
    const route = await (await api("POST", `/routes/${current.id}/release`)).json();
    render(route);
    showError(route.status === "active" ? _("The rest is given back; deliver what is on board to finish.") : "");
  } catch (err) {
    // Refused: back to the first tap's words, so that a later try asks again.
    button.dataset.armed = "";
    button.textContent = _("Give the route back");
    showError(err.message);
  }
});

$("another").addEventListener("click", () => { current = null; show("plan"); });

start();
