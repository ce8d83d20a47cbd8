// The hub's page for hospital staff, makers and coordinators. Plain JS, no build, no CDN.
// Everything user-supplied goes into the page as text nodes, never as HTML (see hub.js's h).
import {
  $, ApiError, LANG, _, api, day, getJson, h, isoDay, ngettext, notify, number, pgettext,
  pointToOwnPage, showError, token, whenSignedOut,
} from "./hub.js";
import { initSiteForm, siteFields } from "./site-form.js";

// The words for the codes the API sends, from the catalogue (hub/i18n/words.py has the same).
const KINDS = {
  hospital: {
    hospital: pgettext("site kind", "hospital"), clinic: pgettext("site kind", "clinic"),
    nursing_home: pgettext("site kind", "nursing home"), pharmacy: pgettext("site kind", "pharmacy"),
    gp: pgettext("site kind", "GP practice"),
  },
  lab: {
    fablab: pgettext("site kind", "fablab"),
    digital_mediation: pgettext("site kind", "digital-mediation space"),
    hybrid_third_place: pgettext("site kind", "hybrid third place"),
    territorial_innovation_lab: pgettext("site kind", "territorial innovation lab"),
    prototyping_workshop: pgettext("site kind", "professional prototyping workshop"),
    training_space: pgettext("site kind", "training space"),
    home: pgettext("site kind", "maker at home"),
  },
};
const kindName = (kind) => KINDS.hospital[kind] || KINDS.lab[kind] || kind;
const SITE_TYPES = { hospital: pgettext("site type", "hospital"), lab: pgettext("site type", "lab") };
const ROLES = {
  hospital_staff: pgettext("role", "hospital staff"), maker: pgettext("role", "maker"),
  driver: pgettext("role", "driver"), coordinator: pgettext("role", "coordinator"),
  admin: pgettext("role", "admin"),
};
const PRIORITIES = {
  critical: pgettext("priority", "critical"), high: pgettext("priority", "high"),
  normal: pgettext("priority", "normal"),
};
const BATCH_STATES = {
  proposed: pgettext("batch state", "proposed"), claimed: pgettext("batch state", "claimed"),
  ready: pgettext("batch state", "ready"), picked_up: pgettext("batch state", "picked up"),
  delivered: pgettext("batch state", "delivered"), received: pgettext("batch state", "received"),
  declined: pgettext("batch state", "declined"), cancelled: pgettext("batch state", "cancelled"),
};
const NEED_STATUSES = {
  requested: pgettext("need status", "requested"), claimed: pgettext("need status", "claimed"),
  made: pgettext("need status", "made"), ready: pgettext("need status", "ready"),
  in_transit: pgettext("need status", "in transit"), delivered: pgettext("need status", "delivered"),
  cancelled: pgettext("need status", "cancelled"),
};
const SITE_STATUSES = {
  pending: pgettext("site status", "awaiting verification"),
  verified: pgettext("site status", "verified"),
  suspended: pgettext("site status", "suspended"),
};
// The headings of a need's progress counters.
const COUNTERS = {
  claimed: pgettext("counter", "claimed"), made: pgettext("counter", "made"),
  ready: pgettext("counter", "ready"), picked_up: pgettext("counter", "in transit"),
  delivered: pgettext("counter", "delivered"), remaining: pgettext("counter", "remaining"),
};

const state = { me: null, designs: [], hospitals: [], labs: [] };

function uuid4() {
  // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// Messages go next to where the user acted, announced to screen readers (hub.js).

// Run an action from a form or button: disable it meanwhile, show errors in plain words.
async function act(button, fn) {
  if (button) button.disabled = true;
  try {
    await fn();
  } catch (e) {
    showError(e instanceof ApiError ? e.message : String(e && e.message ? e.message : e));
    if (!(e instanceof ApiError)) console.warn(e);
  } finally {
    if (button) button.disabled = false;
  }
}
function onSubmit(form, fn) {
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    act(form.querySelector("button[type=submit]"), () => fn(form));
  });
}

function fillKinds() {
  for (const sel of document.querySelectorAll("select[data-kinds]")) {
    const kinds = KINDS[sel.dataset.kinds];
    sel.replaceChildren(...Object.keys(kinds).map((k) => h("option", { value: k }, kinds[k])));
  }
}

function designName(slug) {
  const d = state.designs.find((x) => x.slug === slug);
  if (!d) return slug;
  return (LANG === "fr" ? d.name_fr || d.name : d.name) || slug;
}

function fillDesigns() {
  for (const sel of document.querySelectorAll("select.designs")) {
    sel.replaceChildren(...state.designs.map((d) => h("option", { value: d.slug }, designName(d.slug))));
  }
  showDesignFacts("need");
  showDesignFacts("offer");
}

const PROCESSES = {
  fdm: pgettext("process", "3D printing (FDM)"), sla: pgettext("process", "3D printing (resin, SLA)"),
  laser: pgettext("process", "laser cutting"), sewing: pgettext("process", "sewing"),
};

// A design's key figures under the form that names it, and a link to its page in the catalogue.
function designFacts(slug) {
  const d = state.designs.find((x) => x.slug === slug);
  if (!d) return [];
  const figures = _("{process} · {grams} g and {minutes} min per unit · {per_box} per box", {
    process: PROCESSES[d.process] || d.process, grams: d.grams_per_unit,
    minutes: d.minutes_per_unit, per_box: d.units_per_box,
  });
  return [figures, h("br"), h("strong", {}, _("Not a certified medical device.")), " ",
    h("a", { href: `${d.page_url}?lang=${LANG}`, target: "_blank" },
      _("The design sheet: validation, licence, settings"))];
}

function showDesignFacts(prefix) {
  const select = $(`${prefix}-design`);
  $(`${prefix}-design-facts`).replaceChildren(...designFacts(select.value));
  if (prefix === "need") fillAccepts();
}

// The other designs of the same item a hospital may take instead (a Prusa or a 3DVerkstan visor).
function fillAccepts() {
  const chosen = state.designs.find((d) => d.slug === $("need-design").value);
  const others = chosen ? state.designs.filter((d) => d.item === chosen.item && d.slug !== chosen.slug) : [];
  $("need-accepts").hidden = others.length === 0;
  $("need-accepts-list").replaceChildren(...others.map((d) => h("div", { class: "check" },
    h("input", { type: "checkbox", id: `accept-${d.slug}`, value: d.slug, class: "accept-design" }),
    h("label", { for: `accept-${d.slug}` }, designName(d.slug), " ",
      h("a", { href: `${d.page_url}?lang=${LANG}`, target: "_blank" }, _("(sheet)"))))));
}
$("need-design").addEventListener("change", () => showDesignFacts("need"));
$("offer-design").addEventListener("change", () => showDesignFacts("offer"));

function badge(status, words) {
  return h("span", { class: "badge st-" + status }, words[status] || status);
}

function counters(entries) {
  return h("ul", { class: "counters" },
    entries.map(([key, value]) => h("li", { "data-counter": key }, h("b", {}, value), COUNTERS[key])));
}

// "by 2 April 2026": a due date in a sentence, written the reader's way.
const dueBy = (iso) => _("by {date}", { date: day(iso) });

// --- Session ---------------------------------------------------------------------------------

function showSignedOut() {
  state.me = null;
  showInvitation(false);
  for (const id of ["staff", "maker", "whoami"]) $(id).hidden = true;
  pointToOwnPage(null);
  $("auth").hidden = false;
}

// --- An invitation's link (…/app#invitation=ID.TOKEN, mailed by the hub) -----------------------

// Kept for the tab's life: signing up or in does not leave the page, a reload keeps it too.
const INVITATION_KEY = "hub.invitation";
const invitationMatch = /^#invitation=(\d+)\.([A-Za-z0-9_-]+)$/.exec(location.hash);
if (invitationMatch) {
  sessionStorage.setItem(INVITATION_KEY, JSON.stringify({ id: invitationMatch[1], token: invitationMatch[2] }));
  // The token stays out of the address bar and the history.
  history.replaceState(null, "", location.pathname + location.search);
}

function invitation() {
  try { return JSON.parse(sessionStorage.getItem(INVITATION_KEY)); } catch { return null; }
}

function showInvitation(signedIn) {
  const waiting = invitation();
  $("invitation").hidden = !waiting;
  $("invitation-accept").hidden = $("invitation-decline").hidden = !(waiting && signedIn);
  $("invitation-text").textContent = signedIn
    ? _("You are invited to join a site of the hub. Accept to become one of its members.")
    : _("You are invited to join a site of the hub. Sign in or create an account below, then accept here.");
}

async function answerInvitation(button, accept) {
  const waiting = invitation();
  await act(button, async () => {
    let r;
    try {
      r = await api("POST", `/invitations/${waiting.id}/${accept ? "accept" : "decline"}`,
        { token: waiting.token });
    } catch (err) {
      // A used or unknown link will never work: say why, and stop offering it.
      if (err instanceof ApiError && err.status === 404) sessionStorage.removeItem(INVITATION_KEY);
      throw err;
    }
    sessionStorage.removeItem(INVITATION_KEY);
    showInvitation(true);
    if (accept) {
      const site = await r.json();
      await start();
      notify(_("You joined {site}.", { site: site.name }));
    } else {
      notify(_("Invitation declined."));
    }
  });
}
$("invitation-accept").addEventListener("click", (ev) => answerInvitation(ev.currentTarget, true));
$("invitation-decline").addEventListener("click", (ev) => answerInvitation(ev.currentTarget, false));

async function start() {
  showInvitation(Boolean(token.get()));
  if (!token.get()) { showSignedOut(); return; }
  await act(null, async () => {
    const [me, designs] = await Promise.all([getJson("/auth/me"), getJson("/designs")]);
    state.me = me;
    state.designs = designs;
    fillDesigns();
    $("auth").hidden = true;
    $("whoami").hidden = false;
    $("whoami").textContent = _("Signed in: {name} ({role})", { name: me.name, role: ROLES[me.role] || me.role });
    // Drivers and coordinators have pages of their own: this one shows them none of its
    // forms, only the way there.
    if (me.role === "maker") { $("maker").hidden = false; await loadLabs(); }
    else if (me.role === "hospital_staff") { $("staff").hidden = false; await loadHospitals(); }
    else pointToOwnPage(me);
  });
}

onSubmit($("signin-form"), async () => {
  const r = await api("POST", "/auth/token", {
    email: $("signin-email").value.trim(), password: $("signin-password").value,
  });
  token.set((await r.json()).access_token);
  $("signin-password").value = "";
  notify("");
  await start();
});

onSubmit($("signup-form"), async () => {
  const r = await api("POST", "/auth/signup", {
    email: $("signup-email").value.trim(), password: $("signup-password").value,
    name: $("signup-name").value.trim(), role: $("signup-role").value,
  });
  token.set((await r.json()).access_token);
  $("signup-password").value = "";
  notify("");
  await start();
});

whenSignedOut(() => {
  stopListening();
  for (const id of ["hospitals", "needs", "labs", "offers", "proposals", "nearby", "batches"]) {
    $(id).replaceChildren();
  }
  $("proposals-said").textContent = "";
  notify("");
  showSignedOut();
});

// Finding the place, the map, "use my position", contact and hours: site-form.js.
for (const prefix of ["hospital", "lab"]) initSiteForm(prefix, showError);

function siteBody(prefix) {
  return {
    name: $(prefix + "-name").value.trim(), kind: $(prefix + "-kind").value,
    address: $(prefix + "-address").value.trim(), ...siteFields(prefix),
  };
}

function siteItem(site) {
  return h("li", { "data-site": site.id }, h("strong", {}, site.name), " · ", kindName(site.kind),
    " ", badge(site.status, SITE_STATUSES), h("br"), h("span", { class: "muted" }, site.address));
}

// --- Hospital staff --------------------------------------------------------------------------

async function loadHospitals() {
  state.hospitals = (await getJson("/hospitals?mine=true&limit=200")).items;
  $("hospitals").replaceChildren(...(state.hospitals.length ? state.hospitals.map(siteItem)
    : [h("li", { class: "muted" }, _("No site yet: add yours below."))]));
  $("hospital-new").open = state.hospitals.length === 0;
  $("need-section").hidden = state.hospitals.length === 0;
  const chosen = $("need-hospital").value;
  $("need-hospital").replaceChildren(...state.hospitals.map((s) => h("option", { value: s.id }, s.name)));
  if (chosen) $("need-hospital").value = chosen;
  await loadNeeds();
}

onSubmit($("hospital-form"), async (form) => {
  await api("POST", "/hospitals", siteBody("hospital"));
  form.reset();
  await loadHospitals();
  notify(_("Site created. A coordinator will verify it."));
});

// One key per filled-in form: a double tap or a retry sends the same key, so one need.
let needKey = uuid4();
function resetNeedForm() {
  $("need-quantity").value = "";
  $("need-by").value = isoDay(7);
  $("need-by").min = isoDay(0);
  $("need-priority").value = "normal";
  for (const box of document.querySelectorAll("input.accept-design")) box.checked = false;
  needKey = uuid4();
}

onSubmit($("need-form"), async () => {
  await api("POST", "/needs", {
    hospital_id: Number($("need-hospital").value), design: $("need-design").value,
    quantity: Number($("need-quantity").value), needed_by: $("need-by").value,
    priority: $("need-priority").value,
    accepts: [...document.querySelectorAll("input.accept-design:checked")].map((i) => i.value),
  }, { "Idempotency-Key": needKey });
  resetNeedForm();
  await loadNeeds();
  notify(_("Need posted."));
});

async function loadNeeds() {
  const lists = await Promise.all(state.hospitals.map((s) => getJson(`/needs?hospital_id=${s.id}&limit=200`)));
  const needs = lists.flatMap((l) => l.items).sort((a, b) => b.id - a.id);
  const cards = await Promise.all(needs.map(needCard));
  $("needs").replaceChildren(...(cards.length ? cards : [h("p", { class: "muted" }, _("No need yet."))]));
}

async function needCard(need) {
  const p = need.progress || {};
  const batches = (await getJson(`/batches?need_id=${need.id}&limit=500`)).items;
  const open = !["delivered", "cancelled"].includes(need.status);
  return h("div", { class: "card need", "data-need": need.id },
    h("h3", {}, designName(need.design), " × ", number(need.quantity)),
    // The stages tell an open need's progress; a badge only for a need that is over.
    h("p", {}, open ? null : [badge(need.status, NEED_STATUSES), " "], h("span", { class: "muted" },
      need.hospital.name, " · ", dueBy(need.needed_by), " · ", PRIORITIES[need.priority])),
    stagesView(need),
    batches.filter((b) => !["declined", "cancelled"].includes(b.state)).map(receiptCard),
    open ? h("button", { type: "button", class: "danger cancel-need", onclick: (ev) => {
      if (!confirm(_("Cancel this need? Batches not started will be cancelled."))) return;
      act(ev.currentTarget, async () => {
        await api("POST", `/needs/${need.id}/cancel`);
        await loadNeeds();
        notify(_("Need cancelled: the batches not started are cancelled too."));
      });
    } }, _("Cancel this need")) : null);
}

// A need's units, each in one stage, in the order a person follows them.
const STAGES = [
  ["received", pgettext("stage", "received")], ["delivered", pgettext("stage", "delivered")],
  ["on_the_way", pgettext("stage", "on the way")], ["ready", pgettext("stage", "ready")],
  ["being_made", pgettext("stage", "being made")], ["proposed", pgettext("stage", "proposed to a lab")],
  ["requested", pgettext("stage", "waiting for a lab")],
];

// One bar (an SVG: widths as attributes, which the Content-Security-Policy allows) and the
// figures of each stage, which add up to the need's quantity.
function stagesView(need) {
  const stages = (need.progress && need.progress.stages) || {};
  const shown = STAGES.filter(([key]) => stages[key] > 0);
  const total = shown.reduce((sum, [key]) => sum + stages[key], 0) || 1;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "stages-bar");
  svg.setAttribute("viewBox", `0 0 ${total} 1`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  let x = 0;
  for (const [key] of shown) {
    const rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    for (const [k, v] of Object.entries({ x, y: 0, width: stages[key], height: 1, class: `stage-${key}` })) {
      rect.setAttribute(k, String(v));
    }
    svg.append(rect);
    x += stages[key];
  }
  return h("div", { class: "stages" }, svg,
    h("ul", { class: "stages-figures" }, shown.map(([key, word]) =>
      h("li", { "data-stage": key }, h("span", { class: `swatch stage-${key}`, "aria-hidden": "true" }),
        h("b", {}, number(stages[key])), " ", word))),
    h("p", { class: "muted" }, ngettext("{n} unit in all", "{n} units in all", need.quantity)));
}

// "10 / 12 made": how far a batch is.
const madeOf = (b) => ngettext("{n} / {quantity} made", "{n} / {quantity} made", b.made, { quantity: b.quantity });

function receiptCard(b) {
  const card = h("div", { class: "card batch", "data-batch": b.id },
    h("strong", {}, _("Batch {code}", { code: b.code })), " ", badge(b.state, BATCH_STATES),
    h("div", { class: "muted" }, madeOf(b)));
  if (b.state === "received") {
    const accepted = ngettext("{n} accepted", "{n} accepted", b.accepted);
    const rejected = ngettext("{n} rejected", "{n} rejected", b.rejected);
    card.append(h("p", { class: "received" },
      _("Received: {accepted}, {rejected}", { accepted, rejected }),
      b.reject_reason ? " (" + b.reject_reason + ")" : ""));
  } else if (["ready", "picked_up", "delivered"].includes(b.state)) {
    const acc = h("input", { id: `accepted-${b.id}`, type: "number", min: 0, step: 1,
      inputmode: "numeric", value: b.made, class: "accepted", required: true });
    const rej = h("input", { id: `rejected-${b.id}`, type: "number", min: 0, step: 1,
      inputmode: "numeric", value: 0, class: "rejected", required: true });
    const reason = h("input", { id: `reason-${b.id}`, maxlength: 500, class: "reason" });
    const form = h("form", { class: "receipt-form" },
      h("div", { class: "row" },
        h("div", {}, h("label", { for: acc.id }, _("Accepted")), acc),
        h("div", {}, h("label", { for: rej.id }, _("Rejected")), rej)),
      h("label", { for: reason.id }, _("Reason for rejecting (optional)")), reason,
      h("button", { type: "submit", class: "ok" }, _("Confirm receipt")));
    onSubmit(form, async () => {
      await api("POST", `/batches/${b.id}/receipt`, {
        accepted: Number(acc.value), rejected: Number(rej.value), reason: reason.value.trim() || null,
      });
      await loadNeeds();
      notify(_("Receipt confirmed."));
    });
    card.append(form);
  }
  return card;
}

$("needs-refresh").addEventListener("click", (ev) => act(ev.currentTarget, loadHospitals));

// --- Makers ----------------------------------------------------------------------------------

async function loadLabs() {
  state.labs = (await getJson("/labs?mine=true&limit=200")).items;
  $("labs").replaceChildren(...(state.labs.length ? state.labs.map(siteItem)
    : [h("li", { class: "muted" }, _("No lab yet: add yours below."))]));
  $("lab-new").open = state.labs.length === 0;
  for (const id of ["offer-section", "proposals-section", "nearby-section", "batches-section"]) {
    $(id).hidden = state.labs.length === 0;
  }
  for (const id of ["offer-lab", "nearby-lab"]) {
    const chosen = $(id).value;
    $(id).replaceChildren(...state.labs.map((s) => h("option", { value: s.id }, s.name)));
    if (chosen) $(id).value = chosen;
  }
  if (!$("offer-from").value) $("offer-from").value = isoDay(0);
  if (state.labs.length) {
    await Promise.all([loadOffers(), loadNearby(), loadBatches()]);
    listen();
  } else {
    for (const id of ["offers", "proposals", "nearby", "batches"]) $(id).replaceChildren();
  }
}

onSubmit($("lab-form"), async (form) => {
  const body = siteBody("lab");
  body.equipment = $("lab-equipment").value.split(",").map((s) => s.trim()).filter(Boolean);
  await api("POST", "/labs", body);
  form.reset();
  await loadLabs();
  notify(_("Lab created. A coordinator will verify it."));
});

let offers = [];
async function loadOffers() {
  const lab = $("offer-lab").value;
  offers = await getJson(`/labs/${lab}/offers`);
  $("offers").replaceChildren(...(offers.length ? offers.map((o) => h("li", {},
    h("strong", {}, designName(o.design)), " · ",
    ngettext("{n} unit per day", "{n} units per day", o.units_per_day), " · ",
    ngettext("{n} in stock", "{n} in stock", o.stock || 0),
    h("br"), h("span", { class: "muted" }, o.available_until
      ? _("from {start} to {end}", { start: day(o.available_from), end: day(o.available_until) })
      : _("from {start}", { start: day(o.available_from) })),
    h("button", { type: "button", class: "secondary", onclick: (ev) => act(ev.currentTarget,
      () => saveOffers(offers.filter((x) => x.id !== o.id))) }, _("Remove")),
  )) : [h("li", { class: "muted" }, _("No capacity declared."))]));
}

async function saveOffers(list) {
  const body = list.map((o) => ({
    design: o.design, units_per_day: o.units_per_day, available_from: o.available_from,
    available_until: o.available_until || null, stock: o.stock || 0,
  }));
  await api("PUT", `/labs/${$("offer-lab").value}/offers`, body);
  // What the lab can make by each need's date changes with its capacity.
  await Promise.all([loadOffers(), loadNearby()]);
  notify(_("Saved."));
}

onSubmit($("offer-form"), async () => {
  const offer = {
    design: $("offer-design").value, units_per_day: Number($("offer-rate").value),
    available_from: $("offer-from").value, available_until: $("offer-until").value || null,
    stock: Number($("offer-stock").value || 0),
  };
  await saveOffers([...offers.filter((o) => o.design !== offer.design), offer]);
});
$("offer-lab").addEventListener("change", () => act(null, loadOffers));

async function loadNearby() {
  const lab = state.labs.find((s) => String(s.id) === $("nearby-lab").value) || state.labs[0];
  if (lab.status !== "verified") {
    // Verified (or suspended) since the page was drawn? Refresh tells, and "My labs" too.
    Object.assign(lab, await getJson(`/labs/${lab.id}`));
    $("labs").replaceChildren(...state.labs.map(siteItem));
  }
  const needs = (await getJson(
    `/needs?near=${lab.lat},${lab.lon}&radius_km=50&open=true&limit=100&lab_id=${lab.id}`)).items;
  // A redraw (Refresh, a live event, the lab's verification) must not throw away a quantity
  // being typed: the claim would go out with the drawn default (a browser test caught it).
  const typed = [...$("nearby").querySelectorAll(".claim-qty")]
    .filter((input) => input.value !== input.defaultValue);
  $("nearby").replaceChildren(...(needs.length ? needs.map((n) => nearbyCard(n, lab))
    : [h("p", { class: "muted" }, _("No open need nearby."))]));
  for (const old of typed) {
    const input = document.getElementById(old.id);
    if (input) input.value = old.value;
  }
}

function nearbyCard(need, lab) {
  const left = need.progress ? need.progress.remaining : need.quantity;
  // What the lab declared it can make by the need's date, not everything that remains.
  const can = need.lab_can_make ?? left;
  const start = Math.min(left, can);
  const qty = h("input", { id: `claim-qty-${need.id}`, type: "number", min: 1, max: left, step: 1,
    inputmode: "numeric", value: start > 0 ? start : "", class: "claim-qty", required: true,
    "aria-describedby": `claim-can-${need.id}` });
  const form = h("form", { class: "claim-form" },
    h("label", { for: qty.id }, _("Quantity I will make")), qty,
    h("p", { id: `claim-can-${need.id}`, class: "muted can-make" }, can > 0
      ? ngettext("{lab} can make {n} unit by then, from its declared capacity.",
        "{lab} can make {n} units by then, from its declared capacity.", can, { lab: lab.name })
      : _("{lab} has no capacity left for this design by then: declare more under My capacity.", { lab: lab.name })),
    h("button", { type: "submit", class: "ok" }, _("Claim")));
  // Only a verified lab takes work (SPEC section 2): say so before anyone types a quantity.
  const action = lab.status === "verified" ? form : h("p", { class: "muted claim-waits" },
    lab.status === "suspended"
      ? _("{lab} is suspended by a coordinator: it cannot take work.", { lab: lab.name })
      : _("{lab} awaits a coordinator's verification: it can take work once verified.", { lab: lab.name }));
  onSubmit(form, async () => {
    await api("POST", `/needs/${need.id}/claims`, { lab_id: lab.id, quantity: Number(qty.value) });
    await Promise.all([loadNearby(), loadBatches()]);
    notify(_("Batch claimed."));
  });
  const where = need.distance_km != null ? _("{km} km", { km: number(need.distance_km, 1) }) + " · " : "";
  return h("div", { class: "card need", "data-need": need.id },
    h("h3", {}, designName(need.design), " × ", number(need.quantity)),
    h("p", {}, badge(need.status, NEED_STATUSES), " ",
      h("strong", {}, need.hospital.name),
      need.hospital.verified ? "" : " (" + SITE_STATUSES.pending + ")"),
    h("p", { class: "muted" }, where, dueBy(need.needed_by), " · ", PRIORITIES[need.priority], " · ",
      ngettext("{n} unit left", "{n} units left", left)),
    h("p", { class: "design-facts" }, h("a", { href: `/designs/${need.design}?lang=${LANG}`, target: "_blank" },
      _("The design sheet: validation, licence, settings"))),
    action);
}
$("nearby-lab").addEventListener("change", () => act(null, loadNearby));
$("nearby-refresh").addEventListener("click", (ev) => act(ev.currentTarget, loadNearby));

// The lab's proposals (under "Proposals for my labs") and its other batches (under "My
// batches"); returns the ids of the proposals shown.
async function loadBatches() {
  const lists = await Promise.all(state.labs.map((s) => getJson(`/batches?lab_id=${s.id}&limit=500`)));
  const all = lists.flatMap((l) => l.items).sort((a, b) => b.id - a.id);
  // A proposal is judged on its need: whose it is, for when, and what the lab can make by then.
  const proposals = all.filter((b) => b.state === "proposed");
  // A declined proposal never was the lab's work: it is not listed among its batches.
  const batches = all.filter((b) => !["proposed", "declined"].includes(b.state));
  const needs = new Map();
  await Promise.all([...new Set(proposals.map((b) => b.need_id))].map(async (id) => {
    const b = proposals.find((x) => x.need_id === id);
    needs.set(id, await getJson(`/needs/${id}?lab_id=${b.lab_id}`));
  }));
  $("proposals").replaceChildren(...(proposals.length ? proposals.map((b) => proposalCard(b, needs.get(b.need_id)))
    : [h("p", { class: "muted" }, _("No proposal waiting for your answer."))]));
  $("batches").replaceChildren(...(batches.length ? batches.map((b) => batchCard(b))
    : [h("p", { class: "muted" }, _("No batch yet."))]));
  return new Set(proposals.map((b) => b.id));
}

// "2 proposals wait for your answer.", in the live region next to the proposals.
function sayProposals(message, { show = false } = {}) {
  const said = $("proposals-said");
  said.textContent = message;
  if (!show || !message) return;
  // In view, below the sticky header, when the user asked for it.
  const top = document.querySelector("body > header").getBoundingClientRect().bottom;
  const rect = said.getBoundingClientRect();
  if (rect.top < top || rect.bottom > window.innerHeight) said.scrollIntoView({ block: "center" });
}

const waiting = (ids) => (ids.size
  ? ngettext("{n} proposal waits for your answer.", "{n} proposals wait for your answer.", ids.size)
  : _("No proposal waiting for your answer."));

$("proposals-refresh").addEventListener("click", (ev) => act(ev.currentTarget, async () => {
  sayProposals("");
  sayProposals(waiting(await loadBatches()), { show: true });
}));

// --- Proposals arrive live ----------------------------------------------------------------------

// The public live stream (/ws/live, the dashboard's) says when a batch is proposed to a lab:
// its event names the lab but nobody. When one of this maker's labs gets one, the lists are
// drawn anew and the live region next to the proposals says so (a screen reader reads it; the
// page does not scroll away from what the maker is doing). A dropped connection comes back
// and catches up by reading the lists again.
const live = { ws: null, retry: 0, reload: null, reconnect: null, connected: false };

function stopListening() {
  const ws = live.ws;
  live.ws = null;
  clearTimeout(live.reload);
  clearTimeout(live.reconnect);
  live.connected = false;
  $("proposals-section").removeAttribute("data-live");
  if (ws) ws.close();
}

// Read the lists again, then say how many proposals are new to the page.
function proposalsChanged() {
  clearTimeout(live.reload);
  // One send is one event per batch: read the lists once for all of them.
  live.reload = setTimeout(() => act(null, async () => {
    const before = new Set([...document.querySelectorAll("#proposals [data-batch]")].map((el) => Number(el.dataset.batch)));
    const [now] = await Promise.all([loadBatches(), loadNearby()]);
    const fresh = [...now].filter((id) => !before.has(id)).length;
    if (fresh) sayProposals(ngettext("A new proposal arrived.", "{n} new proposals arrived.", fresh));
  }), 300);
}

function listen() {
  if (live.ws || !state.labs.length) return;
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws/live?area=FR`);
  live.ws = ws;
  const mine = () => new Set(state.labs.map((s) => s.id));
  ws.onmessage = (e) => {
    if (ws !== live.ws) return;
    const m = JSON.parse(e.data);
    if (m.type === "snapshot" || m.type === "resumed") {
      live.retry = 0;
      $("proposals-section").dataset.live = "open";
      // Back after a drop: what was proposed meanwhile is read from the lists.
      if (live.connected) proposalsChanged();
      live.connected = true;
    } else if (m.type === "event" && m.kind === "batch.proposed" && m.data && mine().has(m.data.lab_id)) {
      proposalsChanged();
    } else if (m.type === "event" && ["lab.verified", "lab.suspended"].includes(m.kind) && mine().has(m.entity_id)) {
      // The lab's badge, and what it may do, change with its verification.
      act(null, loadLabs);
    }
  };
  ws.onclose = () => {
    if (ws !== live.ws) return;
    live.ws = null;
    $("proposals-section").dataset.live = "closed";
    const delay = Math.min(30000, 1000 * 2 ** live.retry) * (0.75 + Math.random() / 2);
    live.retry += 1;
    live.reconnect = setTimeout(() => { if (!live.ws && state.me) listen(); }, delay);
  };
}

// A proposal is judged on its need: whose it is, how far, for when, and what the lab can make
// by then. It is answered here; a label comes once it is accepted.
function proposalCard(b, need) {
  const lab = state.labs.find((s) => s.id === b.lab_id);
  // "1,3 km" on one line.
  const km = b.distance_km != null ? _("{km} km", { km: number(b.distance_km, 1) }).replace(/ /g, "\u00a0") : null;
  const answer = (path) => async () => {
    await api("POST", `/batches/${b.id}/${path}`);
    // Both lists change: the units accepted or given back change what the needs nearby lack.
    await Promise.all([loadBatches(), loadNearby()]);
  };
  return h("div", { class: "card batch proposal st-proposed", "data-batch": b.id },
    h("h3", {}, designName(b.design), " × ", number(b.quantity), " ", badge(b.state, BATCH_STATES)),
    need ? h("p", { class: "proposal-for" }, _("For {hospital}", { hospital: need.hospital.name }),
      km ? [" · ", km] : null) : null,
    h("p", {}, _("needed {date}", { date: dueBy(need ? need.needed_by : b.due) }),
      need ? [" · ", PRIORITIES[need.priority]] : null),
    need && need.lab_can_make != null ? h("p", { class: "muted can-make" }, ngettext(
      "{lab} can make {n} more unit by then, from its declared capacity.",
      "{lab} can make {n} more units by then, from its declared capacity.", need.lab_can_make,
      { lab: lab ? lab.name : "" })) : null,
    h("p", { class: "muted" }, _("Batch {code}", { code: b.code })),
    h("div", { class: "buttons" },
      h("button", { type: "button", class: "ok accept", onclick: (ev) => act(ev.currentTarget, async () => {
        await answer("accept")();
        // Said next to the batch, now under My batches; the count above is no longer true.
        sayProposals("");
        notify(_("Proposal accepted: batch {code} is yours to make.", { code: b.code }));
      }) }, _("Accept")),
      h("button", { type: "button", class: "danger decline", onclick: (ev) => act(ev.currentTarget, async () => {
        await answer("decline")();
        // The card is gone: said where it stood, at the head of the proposals.
        notify("");
        sayProposals(_("Proposal declined: its units go back to the need."), { show: true });
      }) }, _("Decline"))));
}

function batchCard(b) {
  const lab = state.labs.find((s) => s.id === b.lab_id);
  const card = h("div", { class: "card batch", "data-batch": b.id },
    h("h3", {}, _("Batch {code}", { code: b.code }), " ", badge(b.state, BATCH_STATES)),
    h("p", { class: "muted" }, designName(b.design), " × ", number(b.quantity), " · ", dueBy(b.due),
      lab ? " · " + lab.name : ""),
    h("p", { class: "made" }, madeOf(b)));
  const post = (path, body) => async () => { await api("POST", `/batches/${b.id}/${path}`, body); await loadBatches(); };
  if (b.state === "claimed") {
    const made = h("input", { id: `made-${b.id}`, type: "number", min: b.made, max: b.quantity, step: 1,
      inputmode: "numeric", value: b.made, class: "made-input", required: true });
    const form = h("form", { class: "progress-form" }, h("label", { for: made.id }, _("Made so far")), made,
      h("button", { type: "submit" }, _("Save")));
    onSubmit(form, async () => { await post("progress", { made: Number(made.value) })(); notify(_("Saved.")); });
    card.append(form, h("button", { type: "button", class: "ok ready", disabled: b.made === 0,
      onclick: (ev) => {
        if (b.made < b.quantity) { card.querySelector(".rest-choice").hidden = false; card.querySelector(".rest-choice input").focus(); return; }
        act(ev.currentTarget, async () => { await post("ready")(); notify(_("Batch {code} is ready for pickup.", { code: b.code })); });
      } }, _("Ready for pickup")));
    if (b.made > 0 && b.made < b.quantity) card.append(restChoice(b, post));
  }
  if (b.state === "received") {
    const accepted = ngettext("{n} accepted", "{n} accepted", b.accepted);
    const rejected = ngettext("{n} rejected", "{n} rejected", b.rejected);
    card.append(h("p", { class: "received" },
      _("The hospital received it: {accepted}, {rejected}", { accepted, rejected }),
      b.reject_reason ? " (" + b.reject_reason + ")" : ""));
  }
  // A label is printed for a batch the lab has taken on, not for a proposal.
  if (["claimed", "ready", "picked_up", "delivered", "received"].includes(b.state)) {
    // A page of its own, opened by a plain link: no pop-up blocker stops it, and it prints
    // under the same Content-Security-Policy as this page (see hub/web/static/label.js).
    card.append(h("a", { class: "button secondary label", href: `/label/${b.id}?lang=${LANG}`,
      target: "_blank" }, _("Print label")));
  }
  return card;
}
// Ready means ready: with fewer made than claimed, the maker says what becomes of the rest.
function restChoice(b, post) {
  const missing = b.quantity - b.made;
  const name = `rest-${b.id}`;
  const option = (value, text) => h("div", { class: "check" },
    h("input", { type: "radio", name, id: `${name}-${value}`, value, required: true }),
    h("label", { for: `${name}-${value}` }, text));
  const form = h("form", { class: "rest-choice", hidden: true },
    h("fieldset", {},
      h("legend", {}, ngettext(
        "{made} made of {quantity}: what becomes of the other {n}?",
        "{made} made of {quantity}: what becomes of the other {n}?", missing,
        { made: number(b.made), quantity: number(b.quantity) })),
      option("keep", ngettext(
        "Keep making it: the {made} made leave now as a first part.",
        "Keep making them: the {made} made leave now as a first part.", missing, { made: number(b.made) })),
      option("release", ngettext(
        "Give it back to the need: another lab may make it.",
        "Give them back to the need: another lab may make them.", missing))),
    h("div", { class: "buttons" },
      h("button", { type: "submit", class: "ok" }, _("Mark ready")),
      h("button", { type: "button", class: "secondary", onclick: () => { form.hidden = true; } }, _("Back"))));
  onSubmit(form, async () => {
    const rest = form.querySelector("input:checked").value;
    await post("ready", { rest })();
    notify(rest === "keep"
      ? _("Batch {code} is ready for pickup; the rest stays yours in a new batch.", { code: b.code })
      : _("Batch {code} is ready for pickup; the rest went back to the need.", { code: b.code }));
  });
  return form;
}

$("batches-refresh").addEventListener("click", (ev) => act(ev.currentTarget, loadBatches));

fillKinds();
resetNeedForm();
start();
