// The coordinators' page: sites to verify (with who created them, their contact and what the
// registry says), the matcher's draft proposals to review and send, the batches being made
// with their made-count correction next to each, the dashboard, spreadsheets.
// Every message shows next to the control that caused it, in a live region.
import {
  $, ApiError, LANG, _, api, day, getJson, h, ngettext, number, pgettext, pointToOwnPage, token,
  whenSignedOut,
} from "./hub.js";
import { clearSheets, initSheets } from "./app-sheets.js";

const KINDS = {
  hospital: pgettext("site kind", "hospital"), clinic: pgettext("site kind", "clinic"),
  nursing_home: pgettext("site kind", "nursing home"), pharmacy: pgettext("site kind", "pharmacy"),
  gp: pgettext("site kind", "GP practice"), fablab: pgettext("site kind", "fablab"),
  digital_mediation: pgettext("site kind", "digital-mediation space"),
  hybrid_third_place: pgettext("site kind", "hybrid third place"),
  territorial_innovation_lab: pgettext("site kind", "territorial innovation lab"),
  prototyping_workshop: pgettext("site kind", "professional prototyping workshop"),
  training_space: pgettext("site kind", "training space"), home: pgettext("site kind", "maker at home"),
};
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
const STATES = { draft: pgettext("batch state", "draft"), proposed: pgettext("batch state", "proposed") };

const state = { me: null, designs: {}, sheets: false };

// --- Feedback next to the action ----------------------------------------------------------------

// A message in ``where`` (a live region next to the control): an error is marked as one.
function say(where, message, { error = false } = {}) {
  if (!where) return;
  where.textContent = message || "";
  where.classList.toggle("error", Boolean(message) && error);
  where.classList.toggle("notice", Boolean(message) && !error);
  if (message) where.scrollIntoView({ block: "nearest" });
}

// Run ``fn`` for ``button``, disabled meanwhile; an error is said in ``where``.
async function act(button, fn, where) {
  if (button) button.disabled = true;
  try {
    await fn();
  } catch (e) {
    say(where, e instanceof ApiError ? e.message : String(e && e.message ? e.message : e), { error: true });
    if (!(e instanceof ApiError)) console.warn(e);
  } finally {
    if (button) button.disabled = false;
  }
}

function onSubmit(form, where, fn) {
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    act(form.querySelector("button[type=submit]"), () => fn(form), where);
  });
}

const designName = (slug) => {
  const d = state.designs[slug];
  return d ? (LANG === "fr" ? d.name_fr || d.name : d.name) || slug : slug;
};

// --- Session -------------------------------------------------------------------------------------

function clearAll() {
  // Nothing of the last coordinator's work stays on screen once signed out.
  state.me = null;
  for (const id of ["pending", "runs", "claimed"]) $(id).replaceChildren();
  for (const id of ["pending-said", "match-result", "whoami", "import-said", "export-said"]) say($(id), "");
  if (state.sheets) clearSheets();
  $("coord").hidden = true;
  $("whoami").hidden = true;
  pointToOwnPage(null);
  $("auth").hidden = false;
}

async function start() {
  if (!token.get()) { clearAll(); return; }
  await act(null, async () => {
    const me = await getJson("/auth/me");
    $("auth").hidden = true;
    $("whoami").hidden = false;
    $("whoami").textContent = _("Signed in: {name} ({role})", { name: me.name, role: ROLES[me.role] || me.role });
    if (me.role !== "coordinator" && me.role !== "admin") { pointToOwnPage(me); return; }
    state.me = me;
    for (const d of await getJson("/designs")) state.designs[d.slug] = d;
    // The dashboard opens on the coordinator's area, signed in by the same session.
    const link = new URL($("dashboard-link").href);
    if (me.area) link.searchParams.set("area", me.area);
    $("dashboard-link").href = link.pathname + link.search;
    $("coord").hidden = false;
    if (!state.sheets) {
      // Errors and news of a spreadsheet show under the import or the export, where pressed.
      const near = (button) => (button && button.id === "export-download" ? $("export-said") : $("import-said"));
      initSheets({ act: (button, fn) => act(button, fn, near(button)), notify: (m) => say($("import-said"), m) });
      state.sheets = true;
    }
    await Promise.all([loadPending(), loadDrafts(), loadClaimed()]);
  }, $("signin-form").querySelector(".feedback"));
}

onSubmit($("signin-form"), $("signin-form").querySelector(".feedback"), async () => {
  const r = await api("POST", "/auth/token", {
    email: $("signin-email").value.trim(), password: $("signin-password").value,
  });
  token.set((await r.json()).access_token);
  $("signin-password").value = "";
  say($("signin-form").querySelector(".feedback"), "");
  await start();
});

whenSignedOut(clearAll);

// --- Sites to verify -------------------------------------------------------------------------

// What the registry (FINESS for hospitals, SIRET for labs) says of a site, in words, so that
// "verified" means something: the registry's address and phone to call back, and how far
// its point is from the one typed (GET /{hospitals|labs}/{id}/registry).
async function registryInfo(site) {
  let info;
  try {
    info = await getJson(`/${site.type === "lab" ? "labs" : "hospitals"}/${site.id}/registry`);
  } catch (_err) {
    return null; // said by the page's error line
  }
  const lines = [];
  if (info.siret) {
    lines.push(info.siret_valid ? _("SIRET {siret}: valid.", { siret: info.siret })
      : _("SIRET {siret}: its check digit is wrong.", { siret: info.siret }));
  }
  if (info.match && info.entry) {
    const e = info.entry;
    const place = [e.address, [e.postcode, e.city].filter(Boolean).join(" ")].filter(Boolean).join(", ");
    lines.push(_("FINESS {number}: {name}, {place}.", { number: e.number, name: e.name, place }));
    if (e.category) lines.push(e.category);
    if (e.phone) lines.push(h("a", { href: `tel:${e.phone}` }, _("Call the number the registry gives: {phone}", { phone: e.phone })));
    if (info.distance_km !== null && info.distance_km !== undefined) {
      lines.push(_("The typed point is {km} km from the registry's.", { km: number(Math.round(info.distance_km * 10) / 10) }));
    }
    if (info.same_departement === false) lines.push(_("Not in the same département as the registry says."));
  } else if (info.finess) {
    lines.push(_("The FINESS registry has no establishment numbered {number}.", { number: info.finess }));
  } else if (!info.siret) {
    lines.push(_("No registry number given: check the site another way."));
  }
  return h("div", { class: "registry" }, h("strong", {}, _("Registry")),
    ...lines.map((line) => h("p", {}, line)));
}

async function pendingItem({ site, created_by: creator }) {
  const path = site.type === "lab" ? "labs" : "hospitals";
  const said = h("p", { class: "feedback", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "ok verify" }, _("Verify"));
  button.addEventListener("click", () => act(button, async () => {
    await api("POST", `/${path}/${site.id}/verify`);
    await loadPending();
    say($("pending-said"), _("Site verified: {name}.", { name: site.name }));
  }, said));
  const contact = [site.contact_name, site.contact_phone].filter(Boolean).join(" · ");
  return h("li", { class: "card", "data-site": site.id },
    h("h3", {}, site.name),
    h("p", {}, SITE_TYPES[site.type] || site.type, " · ", KINDS[site.kind] || site.kind,
      site.departement ? ` · ${site.departement}` : ""),
    h("p", { class: "muted" }, site.address || ""),
    h("p", { class: "creator" }, creator
      ? _("Created by {name} ({email}) on {date}", { name: creator.name, email: creator.email, date: day(site.created_at) })
      : _("Created on {date}", { date: day(site.created_at) })),
    creator && !creator.email_holder
      ? h("p", { class: "error" }, _("An older account holds this address: whoever made this one did not know its password, so the address proves nothing."))
      : null,
    h("p", { class: "contact" }, contact ? _("Contact: {contact}", { contact }) : _("No contact given.")),
    site.contact_phone ? h("a", { class: "button secondary", href: "tel:" + site.contact_phone.replace(/[^0-9+]/g, "") },
      _("Call {phone}", { phone: site.contact_phone })) : null,
    await registryInfo(site),
    button, said);
}

async function loadPending() {
  const area = state.me.area ? `?area=${encodeURIComponent(state.me.area)}` : "";
  const queue = await getJson(`/sites/pending${area}`);
  const items = await Promise.all(queue.map(pendingItem));
  $("pending").replaceChildren(...(items.length ? items
    : [h("li", { class: "muted" }, _("No site awaiting verification in your area."))]));
}
$("pending-refresh").addEventListener("click", (ev) => act(ev.currentTarget, loadPending, $("pending-said")));

// --- The matcher's proposals ------------------------------------------------------------------

// "Matching done in 0.4 seconds: 2 batches proposed, 80 units, …": each part with its plural.
function summary(run) {
  const sum = (values) => values.reduce((a, x) => a + x, 0);
  const units = sum(run.assignments.map((a) => a.quantity));
  const seconds = Number(run.seconds.toFixed(1));
  const parts = {
    seconds: ngettext("{n} second", "{n} seconds", seconds, { n: number(seconds, 1) }),
    batches: ngettext("{n} batch proposed", "{n} batches proposed", run.assignments.length),
    units: ngettext("{n} unit", "{n} units", units),
    short: ngettext("{n} unit without a lab", "{n} units without a lab", sum(Object.values(run.unmet))),
    unit_km: ngettext("{n} unit-km", "{n} unit-km", Math.round(run.unit_km)),
    needs: ngettext("{n} need", "{n} needs", run.needs_considered),
    offers: ngettext("{n} offer", "{n} offers", run.offers_considered),
  };
  const done = _("Matching done in {seconds}: {batches}, {units}, {short}, {unit_km} ({needs}, {offers}).", parts);
  // A run replaces the unsent drafts of earlier runs in its area (hub/matching_runs).
  if (!run.superseded) return done;
  return done + " " + ngettext("It replaces {n} unsent proposal of an earlier run.",
    "It replaces {n} unsent proposals of earlier runs.", run.superseded);
}

function proposalItem(runId, p) {
  const said = h("p", { class: "feedback", role: "status", "aria-live": "polite" });
  const where = [
    p.distance_km != null ? _("{km} km", { km: number(p.distance_km, 1) }) : null,
    _("by {date}", { date: day(p.due) }), PRIORITIES[p.priority] || p.priority,
  ].filter(Boolean).join(" · ");
  const item = h("li", { class: `card proposal st-${p.state}`, "data-batch": p.batch_id },
    h("h3", {}, designName(p.design), " × ", number(p.quantity), " ",
      h("span", { class: `badge st-${p.state}` }, STATES[p.state] || p.state)),
    h("p", {}, _("{lab} makes for {hospital}", { lab: p.lab.name, hospital: p.hospital.name })),
    h("p", { class: "muted" }, where, " · ",
      ngettext("need of {n} unit", "need of {n} units", p.need_quantity)));
  if (p.state === "draft") {
    const qty = h("input", { id: `adjust-${p.batch_id}`, type: "number", min: 1, step: 1,
      max: p.need_quantity, inputmode: "numeric", value: p.quantity, required: true });
    const form = h("form", { class: "adjust-form" },
      h("label", { for: qty.id }, _("Quantity proposed")), qty,
      h("button", { type: "submit", class: "secondary" }, _("Change the quantity")));
    onSubmit(form, said, async () => {
      await api("POST", `/batches/${p.batch_id}/adjust`, { quantity: Number(qty.value) });
      await loadRun(runId);
      say(document.querySelector(`[data-batch="${p.batch_id}"] .feedback`),
        ngettext("Changed to {n} unit.", "Changed to {n} units.", Number(qty.value)));
    });
    const remove = h("button", { type: "button", class: "danger cancel" }, _("Remove this proposal"));
    remove.addEventListener("click", () => act(remove, async () => {
      await api("POST", `/batches/${p.batch_id}/cancel`);
      await loadRun(runId);
      say(document.querySelector(`[data-run="${runId}"] .run-said`), _("Proposal removed: {lab} will not see it.", { lab: p.lab.name }));
    }, said));
    item.append(form, remove);
  }
  item.append(said);
  return item;
}

// One run's proposals, drafts first, and the button that sends them.
async function loadRun(runId) {
  const run = await getJson(`/matching/runs/${runId}/proposals`);
  let box = document.querySelector(`[data-run="${runId}"]`);
  const said = box ? box.querySelector(".run-said") : h("p", { class: "feedback run-said", role: "status", "aria-live": "polite" });
  const send = h("button", { type: "button", class: "ok send", hidden: run.drafts === 0 },
    ngettext("Send {n} proposal to the labs", "Send {n} proposals to the labs", run.drafts));
  send.addEventListener("click", () => act(send, async () => {
    const sent = await (await api("POST", `/matching/runs/${runId}/send`)).json();
    await loadRun(runId);
    const n = sent.items.filter((x) => x.state === "proposed").length;
    say(document.querySelector(`[data-run="${runId}"] .run-said`),
      ngettext("Sent: {n} proposal now waits for its lab.", "Sent: {n} proposals now wait for their labs.", n));
  }, said));
  const list = h("ul", { class: "list proposals" }, run.items.map((p) => proposalItem(runId, p)));
  if (!run.items.length) list.append(h("li", { class: "muted" }, _("No proposal left in this run.")));
  const heading = h("h3", {}, _("Run {id} · {date}", { id: run.run_id, date: day(run.created_at) }));
  const parts = [heading, list, send, said];
  if (box) box.replaceChildren(...parts);
  else {
    box = h("div", { class: "run", "data-run": runId }, ...parts);
    $("runs").prepend(box);
  }
}

// Runs with drafts left to review (after a reload, say).
async function loadDrafts() {
  const area = state.me.area ? `&area=${encodeURIComponent(state.me.area)}` : "";
  const drafts = (await getJson(`/batches?state=draft&limit=500${area}`)).items;
  const runs = [...new Set(drafts.map((b) => b.run_id).filter(Boolean))].sort((a, b) => a - b);
  $("runs").replaceChildren();
  for (const id of runs) await loadRun(id);
}

$("match-run").addEventListener("click", (ev) => act(ev.currentTarget, async () => {
  say($("match-result"), "");
  const run = await (await api("POST", "/matching/runs", {})).json();
  // Earlier runs' drafts it replaced leave the screen with their runs.
  if (run.superseded) await loadDrafts();
  if (run.assignments.length && !document.querySelector(`[data-run="${run.id}"]`)) await loadRun(run.id);
  say($("match-result"), summary(run));
  await loadClaimed();
}, $("match-result")));

// --- Batches being made, each with its correction ----------------------------------------------

const madeOfQuantity = (b) => ngettext("{n} made of {quantity}", "{n} made of {quantity}", b.made, { quantity: b.quantity });

function claimedItem(b) {
  const said = h("p", { class: "feedback", role: "status", "aria-live": "polite" });
  const made = h("input", { id: `correct-made-${b.id}`, type: "number", min: 0, max: b.quantity, step: 1,
    inputmode: "numeric", value: b.made, required: true });
  const reason = h("input", { id: `correct-reason-${b.id}`, maxlength: 200, required: true });
  const form = h("form", { class: "correct-form" },
    h("div", { class: "row" },
      h("div", {}, h("label", { for: made.id }, _("Actually made")), made),
      h("div", {}, h("label", { for: reason.id }, _("Reason")), reason)),
    h("button", { type: "submit" }, _("Correct")));
  onSubmit(form, said, async () => {
    const batch = await (await api("POST", `/batches/${b.id}/correct`, {
      made: Number(made.value), reason: reason.value.trim(),
    })).json();
    await loadClaimed();
    say(document.querySelector(`#claimed [data-batch="${b.id}"] .feedback`),
      _("Batch no. {id} ({code}): {made}.", { id: batch.id, code: batch.code, made: madeOfQuantity(batch) }));
  });
  const details = h("details", {}, h("summary", {}, _("Correct the made count")), form);
  return h("li", { "data-batch": b.id },
    h("span", { class: "made" }, _("Batch no. {id} · {code} · {design} · {made}",
      { id: b.id, code: b.code, design: designName(b.design), made: madeOfQuantity(b) })),
    details, said);
}

async function loadClaimed() {
  const area = state.me.area ? `&area=${encodeURIComponent(state.me.area)}` : "";
  const batches = (await getJson(`/batches?state=claimed&limit=200${area}`)).items;
  $("claimed").replaceChildren(...(batches.length ? batches.map(claimedItem)
    : [h("li", { class: "muted" }, _("No batch in the making in your area."))]));
}

start();
