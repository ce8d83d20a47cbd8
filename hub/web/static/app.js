"use strict";
// The hub's page for hospital staff and makers. Plain JS, no build, no CDN.
// Everything user-supplied goes into the page as text nodes, never as HTML.

const TEXT = {
  fr: {
    title: "Le hub", signout: "Déconnexion", signin: "Connexion", signup: "Créer un compte",
    email: "E-mail", password: "Mot de passe", passwordNew: "Mot de passe (8 caractères au moins)",
    iam: "Je suis", roleStaff: "Personnel soignant (hôpital, clinique, Ehpad…)",
    roleMaker: "Maker ou fablab", name: "Nom", myHospitals: "Mes établissements",
    addHospital: "Ajouter un établissement", siteName: "Nom", kind: "Type", address: "Adresse",
    locate: "Utiliser ma position", lat: "Latitude", lon: "Longitude", create: "Créer",
    postNeed: "Publier un besoin", hospital: "Établissement", design: "Modèle",
    quantity: "Quantité", neededBy: "Pour le", priority: "Priorité", publish: "Publier",
    prio_normal: "normale", prio_high: "haute", prio_critical: "critique",
    myNeeds: "Mes besoins", refresh: "Actualiser", myLabs: "Mes ateliers",
    addLab: "Ajouter un atelier", equipment: "Équipement (séparé par des virgules)",
    offers: "Mes capacités", lab: "Atelier", perDay: "Unités par jour", stock: "Stock prêt",
    from: "Du", until: "Au (facultatif)", saveOffer: "Enregistrer cette capacité",
    nearby: "Besoins ouverts à moins de 50 km", fromLab: "Autour de l’atelier",
    myBatches: "Mes lots", other: "English", otherLang: "en",
    signedInAs: "Connecté : ", role_hospital_staff: "personnel soignant", role_maker: "maker",
    role_driver: "chauffeur", role_coordinator: "coordinateur", role_admin: "administrateur",
    noHospitals: "Aucun établissement pour l’instant : ajoutez le vôtre ci-dessous.",
    noLabs: "Aucun atelier pour l’instant : ajoutez le vôtre ci-dessous.",
    noNeeds: "Aucun besoin pour l’instant.", noNearby: "Aucun besoin ouvert à proximité.",
    noBatches: "Aucun lot pour l’instant.", noOffers: "Aucune capacité déclarée.",
    st_pending: "en attente de vérification", st_verified: "vérifié",
    st_requested: "demandé", st_claimed: "pris en charge", st_made: "fabriqué",
    st_ready: "prêt", st_in_transit: "en route", st_delivered: "livré",
    st_cancelled: "annulé", st_proposed: "proposé", st_picked_up: "en route",
    st_received: "reçu", st_declined: "refusé",
    c_claimed: "pris en charge", c_made: "fabriqués", c_ready: "prêts",
    c_picked_up: "en route", c_delivered: "livrés", c_remaining: "restants",
    c_accepted: "acceptés", c_rejected: "refusés",
    units: "unités", for: "pour le", km: "km", cancelNeed: "Annuler ce besoin",
    confirmCancel: "Annuler ce besoin ? Les lots non commencés seront annulés.",
    batch: "Lot", made: "fabriqués", receipt: "Confirmer la réception",
    accepted: "Acceptés", rejected: "Refusés", reason: "Motif du refus (facultatif)",
    received: "Reçu : ", claim: "Prendre en charge", claimQty: "Quantité que je fabrique",
    remaining: "restent", accept: "Accepter", decline: "Refuser", progress: "Fabriqués à ce jour",
    report: "Enregistrer", ready: "Prêt à enlever", label: "Imprimer l’étiquette",
    remove: "Retirer", needLab: "Créez d’abord un atelier.",
    needHospital: "Créez d’abord un établissement.",
    noGeo: "La géolocalisation n’est pas disponible : saisissez la latitude et la longitude.",
    geoDenied: "Position refusée ou introuvable : saisissez la latitude et la longitude.",
    popup: "Autorisez les fenêtres pour imprimer l’étiquette.",
    doneHospital: "Établissement créé. Il sera vérifié par un coordinateur.",
    doneLab: "Atelier créé. Il sera vérifié par un coordinateur.",
    doneNeed: "Besoin publié.", doneClaim: "Lot pris en charge.", doneSaved: "Enregistré.",
    doneReceipt: "Réception confirmée.", pendingSite: "en attente de vérification",
    toVerify: "Sites à vérifier", noPending: "Aucun site en attente dans votre zone.",
    verify: "Vérifier", doneVerified: "Site vérifié.", site_hospital: "établissement",
    site_lab: "atelier", matchTitle: "Répartir les besoins entre les ateliers",
    matchHelp: "Propose des lots aux ateliers vérifiés les plus proches ; les makers les acceptent ou les refusent.",
    matchRun: "Lancer le matching",
    matchDone: (r, units, short) => `Matching terminé en ${fmt(r.seconds, 1)} s : `
      + `${r.assignments.length} lot(s) proposé(s), ${fmt(units)} pièces, ${fmt(short)} pièce(s) `
      + `sans atelier, ${fmt(r.unit_km)} pièces·km (${r.needs_considered} besoins, `
      + `${r.offers_considered} offres).`,
    correctTitle: "Corriger un nombre de pièces fabriquées", correctBatch: "Numéro du lot",
    correctMade: "Fabriqués en réalité", correctReason: "Raison", correctSave: "Corriger",
    noClaimed: "Aucun lot en fabrication dans votre zone.",
    claimedItem: (b) => `Lot n° ${b.id} · ${b.code} · ${designName(b.design)} · ${b.made} fabriqué(s) sur ${b.quantity}`,
    doneCorrected: (b) => `Lot n° ${b.id} (${b.code}) : ${b.made} fabriqué(s) sur ${b.quantity}.`,
    kind_hospital: "hôpital", kind_clinic: "clinique", kind_nursing_home: "Ehpad / maison de retraite",
    kind_pharmacy: "pharmacie", kind_gp: "cabinet médical",
    kind_digital_mediation: "espace de médiation numérique",
    kind_hybrid_third_place: "tiers-lieu hybride", kind_fablab: "fablab",
    kind_territorial_innovation_lab: "laboratoire d’innovation territoriale",
    kind_prototyping_workshop: "atelier de prototypage professionnel",
    kind_training_space: "lieu de formation", kind_home: "maker à domicile",
  },
  en: {
    title: "The hub", signout: "Sign out", signin: "Sign in", signup: "Create an account",
    email: "Email", password: "Password", passwordNew: "Password (at least 8 characters)",
    iam: "I am", roleStaff: "Hospital staff (hospital, clinic, nursing home…)",
    roleMaker: "A maker or a lab", name: "Name", myHospitals: "My sites",
    addHospital: "Add a site", siteName: "Name", kind: "Kind", address: "Address",
    locate: "Use my position", lat: "Latitude", lon: "Longitude", create: "Create",
    postNeed: "Post a need", hospital: "Site", design: "Design",
    quantity: "Quantity", neededBy: "Needed by", priority: "Priority", publish: "Post",
    prio_normal: "normal", prio_high: "high", prio_critical: "critical",
    myNeeds: "My needs", refresh: "Refresh", myLabs: "My labs",
    addLab: "Add a lab", equipment: "Equipment (comma-separated)",
    offers: "My capacity", lab: "Lab", perDay: "Units per day", stock: "Ready stock",
    from: "From", until: "Until (optional)", saveOffer: "Save this capacity",
    nearby: "Open needs within 50 km", fromLab: "Around the lab",
    myBatches: "My batches", other: "Français", otherLang: "fr",
    signedInAs: "Signed in: ", role_hospital_staff: "hospital staff", role_maker: "maker",
    role_driver: "driver", role_coordinator: "coordinator", role_admin: "admin",
    noHospitals: "No site yet: add yours below.", noLabs: "No lab yet: add yours below.",
    noNeeds: "No need yet.", noNearby: "No open need nearby.",
    noBatches: "No batch yet.", noOffers: "No capacity declared.",
    st_pending: "awaiting verification", st_verified: "verified",
    st_requested: "requested", st_claimed: "claimed", st_made: "made",
    st_ready: "ready", st_in_transit: "in transit", st_delivered: "delivered",
    st_cancelled: "cancelled", st_proposed: "proposed", st_picked_up: "in transit",
    st_received: "received", st_declined: "declined",
    c_claimed: "claimed", c_made: "made", c_ready: "ready",
    c_picked_up: "in transit", c_delivered: "delivered", c_remaining: "remaining",
    c_accepted: "accepted", c_rejected: "rejected",
    units: "units", for: "by", km: "km", cancelNeed: "Cancel this need",
    confirmCancel: "Cancel this need? Batches not started will be cancelled.",
    batch: "Batch", made: "made", receipt: "Confirm receipt",
    accepted: "Accepted", rejected: "Rejected", reason: "Reason for rejecting (optional)",
    received: "Received: ", claim: "Claim", claimQty: "Quantity I will make",
    remaining: "remain", accept: "Accept", decline: "Decline", progress: "Made so far",
    report: "Save", ready: "Ready for pickup", label: "Print label",
    remove: "Remove", needLab: "Create a lab first.", needHospital: "Create a site first.",
    noGeo: "Geolocation is not available; type the latitude and longitude.",
    geoDenied: "Position refused or not found; type the latitude and longitude.",
    popup: "Allow pop-up windows to print the label.",
    doneHospital: "Site created. A coordinator will verify it.",
    doneLab: "Lab created. A coordinator will verify it.",
    doneNeed: "Need posted.", doneClaim: "Batch claimed.", doneSaved: "Saved.",
    doneReceipt: "Receipt confirmed.", pendingSite: "awaiting verification",
    toVerify: "Sites to verify", noPending: "No site awaiting verification in your area.",
    verify: "Verify", doneVerified: "Site verified.", site_hospital: "care site",
    site_lab: "lab", matchTitle: "Share needs out among the labs",
    matchHelp: "Proposes batches to the nearest verified labs; makers accept or decline them.",
    matchRun: "Run the matcher",
    matchDone: (r, units, short) => `Matching done in ${fmt(r.seconds, 1)} s: `
      + `${r.assignments.length} batch(es) proposed, ${fmt(units)} units, ${fmt(short)} unit(s) `
      + `without a lab, ${fmt(r.unit_km)} unit-km (${r.needs_considered} needs, `
      + `${r.offers_considered} offers).`,
    correctTitle: "Correct a made count", correctBatch: "Batch number",
    correctMade: "Actually made", correctReason: "Reason", correctSave: "Correct",
    noClaimed: "No batch in the making in your area.",
    claimedItem: (b) => `Batch ${b.id} · ${b.code} · ${designName(b.design)} · ${b.made} made of ${b.quantity}`,
    doneCorrected: (b) => `Batch ${b.id} (${b.code}): ${b.made} made of ${b.quantity}.`,
    kind_hospital: "hospital", kind_clinic: "clinic", kind_nursing_home: "nursing home",
    kind_pharmacy: "pharmacy", kind_gp: "GP practice",
    kind_digital_mediation: "digital-mediation space",
    kind_hybrid_third_place: "hybrid third place", kind_fablab: "fablab",
    kind_territorial_innovation_lab: "territorial innovation lab",
    kind_prototyping_workshop: "professional prototyping workshop",
    kind_training_space: "training space", kind_home: "maker at home",
  },
};
const KINDS = {
  hospital: ["hospital", "clinic", "nursing_home", "pharmacy", "gp"],
  lab: ["fablab", "digital_mediation", "hybrid_third_place", "territorial_innovation_lab",
        "prototyping_workshop", "training_space", "home"],
};
const params = new URLSearchParams(location.search);
const LANG = params.get("lang") === "en" ? "en" : "fr";
const T = TEXT[LANG];
const API = "/api/v1";
const TOKEN_KEY = "hub.app.token";
const $ = (id) => document.getElementById(id);
const t = (key) => (T[key] !== undefined ? T[key] : key);
const state = { me: null, designs: [], hospitals: [], labs: [] };

function uuid4() {
  // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function isoDay(offsetDays) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function showError(message) {
  $("error").textContent = message || "";
  if (message) { $("notice").textContent = ""; $("error").scrollIntoView({ block: "center" }); }
}
function notify(message) { $("notice").textContent = message || ""; $("error").textContent = ""; }

const api = apiClient({
  base: API, lang: LANG, tokenKey: TOKEN_KEY, onSignedOut: () => showSignedOut(),
});
const getJson = async (path) => (await api("GET", path)).json();

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

function translate() {
  document.documentElement.lang = LANG;
  document.title = T.title;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  const other = new URLSearchParams(location.search);
  other.set("lang", T.otherLang);
  $("lang").textContent = T.other;
  $("lang").href = "?" + other.toString();
  for (const sel of document.querySelectorAll("select[data-kinds]")) {
    sel.replaceChildren(...KINDS[sel.dataset.kinds].map((k) => h("option", { value: k }, t("kind_" + k))));
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
}

function badge(status) { return h("span", { class: "badge st-" + status }, t("st_" + status)); }

function counters(entries) {
  return h("ul", { class: "counters" },
    entries.map(([key, value]) => h("li", { "data-counter": key }, h("b", {}, value), t("c_" + key))));
}

// --- Session ---------------------------------------------------------------------------------

function showSignedOut() {
  state.me = null;
  $("auth").hidden = false;
  $("staff").hidden = true;
  $("maker").hidden = true;
  $("signout").hidden = true;
  $("whoami").hidden = true;
}

async function start() {
  if (!localStorage.getItem(TOKEN_KEY)) { showSignedOut(); return; }
  await act(null, async () => {
    const [me, designs] = await Promise.all([getJson("/auth/me"), getJson("/designs")]);
    state.me = me;
    state.designs = designs;
    fillDesigns();
    $("auth").hidden = true;
    $("signout").hidden = false;
    $("whoami").hidden = false;
    $("whoami").textContent = T.signedInAs + me.name + " (" + t("role_" + me.role) + ")";
    if (me.role === "maker") { $("maker").hidden = false; await loadLabs(); }
    else if (me.role === "coordinator" || me.role === "admin") {
      $("coord").hidden = false;
      await Promise.all([loadPending(), loadClaimed()]);
    }
    else { $("staff").hidden = false; await loadHospitals(); }
  });
}

onSubmit($("signin-form"), async () => {
  const r = await api("POST", "/auth/token", {
    email: $("signin-email").value.trim(), password: $("signin-password").value,
  });
  localStorage.setItem(TOKEN_KEY, (await r.json()).access_token);
  $("signin-password").value = "";
  notify("");
  await start();
});

onSubmit($("signup-form"), async () => {
  const r = await api("POST", "/auth/signup", {
    email: $("signup-email").value.trim(), password: $("signup-password").value,
    name: $("signup-name").value.trim(), role: $("signup-role").value,
  });
  localStorage.setItem(TOKEN_KEY, (await r.json()).access_token);
  $("signup-password").value = "";
  notify("");
  await start();
});

$("signout").addEventListener("click", () => act($("signout"), async () => {
  try { await api("POST", "/auth/logout"); } finally {
    localStorage.removeItem(TOKEN_KEY);
    for (const id of ["hospitals", "needs", "labs", "offers", "nearby", "batches"]) $(id).replaceChildren();
    notify("");
    showSignedOut();
  }
}));

for (const button of document.querySelectorAll("button.locate")) {
  button.addEventListener("click", () => {
    const prefix = button.dataset.for;
    if (!navigator.geolocation) { showError(T.noGeo); return; }
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        $(prefix + "-lat").value = pos.coords.latitude.toFixed(5);
        $(prefix + "-lon").value = pos.coords.longitude.toFixed(5);
        button.disabled = false;
      },
      () => { showError(T.geoDenied); button.disabled = false; },
      { enableHighAccuracy: true, timeout: 15000 },
    );
  });
}

function siteBody(prefix) {
  return {
    name: $(prefix + "-name").value.trim(), kind: $(prefix + "-kind").value,
    address: $(prefix + "-address").value.trim(),
    lat: Number($(prefix + "-lat").value), lon: Number($(prefix + "-lon").value),
  };
}

function siteItem(site) {
  return h("li", { "data-site": site.id }, h("strong", {}, site.name), " · ", t("kind_" + site.kind),
    " ", badge(site.status), h("br"), h("span", { class: "muted" }, site.address));
}

// --- Hospital staff --------------------------------------------------------------------------

async function loadHospitals() {
  state.hospitals = (await getJson("/hospitals?mine=true&limit=200")).items;
  $("hospitals").replaceChildren(...(state.hospitals.length
    ? state.hospitals.map(siteItem) : [h("li", { class: "muted" }, T.noHospitals)]));
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
  translate();
  await loadHospitals();
  notify(T.doneHospital);
});

// One key per filled-in form: a double tap or a retry sends the same key, so one need.
let needKey = uuid4();
function resetNeedForm() {
  $("need-quantity").value = "";
  $("need-by").value = isoDay(7);
  $("need-by").min = isoDay(0);
  $("need-priority").value = "normal";
  needKey = uuid4();
}

onSubmit($("need-form"), async () => {
  await api("POST", "/needs", {
    hospital_id: Number($("need-hospital").value), design: $("need-design").value,
    quantity: Number($("need-quantity").value), needed_by: $("need-by").value,
    priority: $("need-priority").value,
  }, { "Idempotency-Key": needKey });
  resetNeedForm();
  await loadNeeds();
  notify(T.doneNeed);
});

async function loadNeeds() {
  const lists = await Promise.all(state.hospitals.map((s) => getJson(`/needs?hospital_id=${s.id}&limit=200`)));
  const needs = lists.flatMap((l) => l.items).sort((a, b) => b.id - a.id);
  const cards = await Promise.all(needs.map(needCard));
  $("needs").replaceChildren(...(cards.length ? cards : [h("p", { class: "muted" }, T.noNeeds)]));
}

async function needCard(need) {
  const p = need.progress || {};
  const batches = (await getJson(`/batches?need_id=${need.id}&limit=500`)).items;
  const open = !["delivered", "cancelled"].includes(need.status);
  return h("div", { class: "card need", "data-need": need.id },
    h("h3", {}, designName(need.design), " × ", need.quantity),
    h("p", {}, badge(need.status), " ", h("span", { class: "muted" },
      need.hospital.name, " · ", T.for, " ", need.needed_by, " · ", t("prio_" + need.priority))),
    counters([["claimed", p.claimed], ["made", p.made], ["ready", p.ready],
              ["picked_up", p.picked_up], ["delivered", p.delivered], ["remaining", p.remaining]]),
    batches.filter((b) => !["declined", "cancelled"].includes(b.state)).map(receiptCard),
    open ? h("button", { type: "button", class: "danger cancel-need", onclick: (ev) => {
      if (!confirm(T.confirmCancel)) return;
      act(ev.currentTarget, async () => { await api("POST", `/needs/${need.id}/cancel`); await loadNeeds(); });
    } }, T.cancelNeed) : null);
}

function receiptCard(b) {
  const card = h("div", { class: "card batch", "data-batch": b.id },
    h("strong", {}, T.batch, " ", b.code), " ", badge(b.state),
    h("div", { class: "muted" }, b.made, " / ", b.quantity, " ", T.made));
  if (b.state === "received") {
    card.append(h("p", { class: "received" }, T.received, b.accepted, " ", t("c_accepted"), ", ",
      b.rejected, " ", t("c_rejected"), b.reject_reason ? " (" + b.reject_reason + ")" : ""));
  } else if (["ready", "picked_up", "delivered"].includes(b.state)) {
    const acc = h("input", { type: "number", min: 0, step: 1, inputmode: "numeric", value: b.made,
      class: "accepted", required: true, "aria-label": T.accepted });
    const rej = h("input", { type: "number", min: 0, step: 1, inputmode: "numeric", value: 0,
      class: "rejected", required: true, "aria-label": T.rejected });
    const reason = h("input", { maxlength: 500, class: "reason", "aria-label": T.reason });
    const form = h("form", { class: "receipt-form" },
      h("div", { class: "row" }, h("div", {}, h("label", {}, T.accepted), acc),
        h("div", {}, h("label", {}, T.rejected), rej)),
      h("label", {}, T.reason), reason,
      h("button", { type: "submit", class: "ok" }, T.receipt));
    onSubmit(form, async () => {
      await api("POST", `/batches/${b.id}/receipt`, {
        accepted: Number(acc.value), rejected: Number(rej.value), reason: reason.value.trim() || null,
      });
      await loadNeeds();
      notify(T.doneReceipt);
    });
    card.append(form);
  }
  return card;
}

$("needs-refresh").addEventListener("click", (ev) => act(ev.currentTarget, loadHospitals));

// --- Makers ----------------------------------------------------------------------------------

async function loadLabs() {
  state.labs = (await getJson("/labs?mine=true&limit=200")).items;
  $("labs").replaceChildren(...(state.labs.length
    ? state.labs.map(siteItem) : [h("li", { class: "muted" }, T.noLabs)]));
  $("lab-new").open = state.labs.length === 0;
  for (const id of ["offer-section", "nearby-section", "batches-section"]) $(id).hidden = state.labs.length === 0;
  for (const id of ["offer-lab", "nearby-lab"]) {
    const chosen = $(id).value;
    $(id).replaceChildren(...state.labs.map((s) => h("option", { value: s.id }, s.name)));
    if (chosen) $(id).value = chosen;
  }
  if (!$("offer-from").value) $("offer-from").value = isoDay(0);
  if (state.labs.length) await Promise.all([loadOffers(), loadNearby(), loadBatches()]);
  else { $("offers").replaceChildren(); $("nearby").replaceChildren(); $("batches").replaceChildren(); }
}

onSubmit($("lab-form"), async (form) => {
  const body = siteBody("lab");
  body.equipment = $("lab-equipment").value.split(",").map((s) => s.trim()).filter(Boolean);
  await api("POST", "/labs", body);
  form.reset();
  translate();
  await loadLabs();
  notify(T.doneLab);
});

let offers = [];
async function loadOffers() {
  const lab = $("offer-lab").value;
  offers = await getJson(`/labs/${lab}/offers`);
  $("offers").replaceChildren(...(offers.length ? offers.map((o) => h("li", {},
    h("strong", {}, designName(o.design)), " · ", o.units_per_day, " / j · ", T.stock, " ", o.stock,
    h("br"), h("span", { class: "muted" }, o.available_from, " → ", o.available_until || "…"),
    h("button", { type: "button", class: "secondary", onclick: (ev) => act(ev.currentTarget,
      () => saveOffers(offers.filter((x) => x.id !== o.id))) }, T.remove),
  )) : [h("li", { class: "muted" }, T.noOffers)]));
}

async function saveOffers(list) {
  const body = list.map((o) => ({
    design: o.design, units_per_day: o.units_per_day, available_from: o.available_from,
    available_until: o.available_until || null, stock: o.stock || 0,
  }));
  await api("PUT", `/labs/${$("offer-lab").value}/offers`, body);
  await loadOffers();
  notify(T.doneSaved);
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
  const needs = (await getJson(
    `/needs?near=${lab.lat},${lab.lon}&radius_km=50&open=true&limit=100`)).items;
  $("nearby").replaceChildren(...(needs.length ? needs.map((n) => nearbyCard(n, lab))
    : [h("p", { class: "muted" }, T.noNearby)]));
}

function nearbyCard(need, lab) {
  const left = need.progress ? need.progress.remaining : need.quantity;
  const qty = h("input", { type: "number", min: 1, max: left, step: 1, inputmode: "numeric",
    value: left, class: "claim-qty", required: true });
  const form = h("form", { class: "claim-form" }, h("label", {}, T.claimQty), qty,
    h("button", { type: "submit", class: "ok" }, T.claim));
  onSubmit(form, async () => {
    await api("POST", `/needs/${need.id}/claims`, { lab_id: lab.id, quantity: Number(qty.value) });
    await Promise.all([loadNearby(), loadBatches()]);
    notify(T.doneClaim);
  });
  return h("div", { class: "card need", "data-need": need.id },
    h("h3", {}, designName(need.design), " × ", need.quantity),
    h("p", {}, badge(need.status), " ",
      h("strong", {}, need.hospital.name), need.hospital.verified ? "" : " (" + T.pendingSite + ")"),
    h("p", { class: "muted" }, need.distance_km != null ? need.distance_km.toFixed(1) + " " + T.km + " · " : "",
      T.for, " ", need.needed_by, " · ", t("prio_" + need.priority), " · ", left, " ", T.remaining),
    form);
}
$("nearby-lab").addEventListener("change", () => act(null, loadNearby));
$("nearby-refresh").addEventListener("click", (ev) => act(ev.currentTarget, loadNearby));

async function loadBatches() {
  const lists = await Promise.all(state.labs.map((s) => getJson(`/batches?lab_id=${s.id}&limit=500`)));
  const batches = lists.flatMap((l) => l.items).sort((a, b) => b.id - a.id);
  $("batches").replaceChildren(...(batches.length ? batches.map(batchCard)
    : [h("p", { class: "muted" }, T.noBatches)]));
}

function batchCard(b) {
  const lab = state.labs.find((s) => s.id === b.lab_id);
  const card = h("div", { class: "card batch", "data-batch": b.id },
    h("h3", {}, T.batch, " ", b.code, " ", badge(b.state)),
    h("p", { class: "muted" }, designName(b.design), " × ", b.quantity, " · ", T.for, " ", b.due,
      lab ? " · " + lab.name : ""),
    h("p", { class: "made" }, b.made, " / ", b.quantity, " ", T.made));
  const post = (path, body) => async () => { await api("POST", `/batches/${b.id}/${path}`, body); await loadBatches(); };
  if (b.state === "proposed") {
    card.append(h("div", { class: "buttons" },
      h("button", { type: "button", class: "ok accept", onclick: (ev) => act(ev.currentTarget, post("accept")) }, T.accept),
      h("button", { type: "button", class: "danger decline", onclick: (ev) => act(ev.currentTarget, post("decline")) }, T.decline)));
  }
  if (b.state === "claimed") {
    const made = h("input", { type: "number", min: b.made, max: b.quantity, step: 1,
      inputmode: "numeric", value: b.made, class: "made-input", required: true });
    const form = h("form", { class: "progress-form" }, h("label", {}, T.progress), made,
      h("button", { type: "submit" }, T.report));
    onSubmit(form, async () => { await post("progress", { made: Number(made.value) })(); notify(T.doneSaved); });
    card.append(form, h("button", { type: "button", class: "ok ready", disabled: b.made === 0,
      onclick: (ev) => act(ev.currentTarget, post("ready")) }, T.ready));
  }
  if (!["declined", "cancelled"].includes(b.state)) {
    card.append(h("button", { type: "button", class: "secondary label",
      onclick: (ev) => printLabel(ev.currentTarget, b.id) }, T.label));
  }
  return card;
}

function printLabel(button, batchId) {
  // The label needs the bearer token: fetch it, then show it from a Blob URL. The window is
  // opened first, inside the tap, so that pop-up blockers let it through.
  const win = window.open("", "_blank");
  act(button, async () => {
    try {
      const r = await api("GET", `/batches/${batchId}/label?lang=${LANG}`);
      const url = URL.createObjectURL(new Blob([await r.text()], { type: "text/html" }));
      if (win) win.location.href = url;
      else if (!window.open(url, "_blank")) throw new ApiError(T.popup);
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (e) {
      if (win) win.close();
      throw e;
    }
  });
}
$("batches-refresh").addEventListener("click", (ev) => act(ev.currentTarget, loadBatches));

// --- Coordinators ----------------------------------------------------------------------------

function fmt(x, digits) {
  return Number(x).toLocaleString(LANG, { maximumFractionDigits: digits || 0 });
}

// The coordinator's own area as a query parameter; an admin (no area) sees everything.
const areaParam = () => (state.me.area ? "&area=" + encodeURIComponent(state.me.area) : "");

async function loadPending() {
  const area = areaParam();
  const [hospitals, labs] = await Promise.all(["hospitals", "labs"].map(
    (kind) => getJson(`/${kind}?status=pending&limit=200${area}`)));
  const items = [...hospitals.items, ...labs.items].map((site) => {
    const path = site.type === "lab" ? "labs" : "hospitals";
    const button = h("button", { type: "button", class: "secondary" }, T.verify);
    button.addEventListener("click", () => act(button, async () => {
      await api("POST", `/${path}/${site.id}/verify`);
      await loadPending();
      notify(T.doneVerified);
    }));
    return h("li", { "data-site": site.id }, h("strong", {}, site.name), " · ",
      t("site_" + site.type), " · ", t("kind_" + site.kind), h("br"),
      h("span", { class: "muted" }, site.address), " ", button);
  });
  $("pending").replaceChildren(...(items.length ? items : [h("li", { class: "muted" }, T.noPending)]));
}

// Batches being made in the area: a tap fills the correction form.
async function loadClaimed() {
  const batches = (await getJson(`/batches?state=claimed&limit=200${areaParam()}`)).items;
  const items = batches.map((b) => {
    const button = h("button", { type: "button", class: "secondary" }, T.correctSave);
    button.addEventListener("click", () => {
      $("correct-batch").value = b.id;
      $("correct-made").value = b.made;
      $("correct-made").focus();
    });
    return h("li", { "data-batch": b.id }, T.claimedItem(b), " ", button);
  });
  $("claimed").replaceChildren(...(items.length ? items : [h("li", { class: "muted" }, T.noClaimed)]));
}

$("pending-refresh").addEventListener("click", (ev) => act(ev.currentTarget, loadPending));

$("match-run").addEventListener("click", (ev) => act(ev.currentTarget, async () => {
  $("match-result").textContent = "";
  const run = await (await api("POST", "/matching/runs", {})).json();
  const sum = (values) => values.reduce((a, x) => a + x, 0);
  $("match-result").textContent = T.matchDone(
    run, sum(run.assignments.map((a) => a.quantity)), sum(Object.values(run.unmet)));
  await loadClaimed();
}));

onSubmit($("correct-form"), async (form) => {
  const id = Number($("correct-batch").value);
  const batch = await (await api("POST", `/batches/${id}/correct`, {
    made: Number($("correct-made").value), reason: $("correct-reason").value.trim(),
  })).json();
  form.reset();
  await loadClaimed();
  notify(T.doneCorrected(batch));
});

translate();
resetNeedForm();
start();
