// The place and contact part of the hospital and lab forms: find a place by typing (postcode,
// commune, address, establishment), see it on the map of France, refine with the phone's
// position; latitude and longitude stay available, folded. Used by app.js, and by driver.js
// for where a route starts.
import { $, ApiError, _, api, h } from "./hub.js";

// The dashboard's projection (hub/geo/areas.py map_projection): fixed bounds, 800 x 800 box.
const MAP = { lonMin: -5.25, lonMax: 9.65, latMin: 41.25, latMax: 51.15, refLat: 46.5, margin: 0.02 };
const SVG_NS = "http://www.w3.org/2000/svg";
let outlines = null; // fetched once, on the first place shown

function projection(width, height) {
  const k = Math.cos((MAP.refLat * Math.PI) / 180);
  const spanX = (MAP.lonMax - MAP.lonMin) * k;
  const spanY = MAP.latMax - MAP.latMin;
  const usable = 1 - 2 * MAP.margin;
  const scale = Math.min((width * usable) / spanX, (height * usable) / spanY);
  const xOffset = (width - scale * spanX) / 2 - scale * k * MAP.lonMin;
  const yOffset = (height - scale * spanY) / 2 + scale * MAP.latMax;
  return (lon, lat) => [xOffset + scale * k * lon, yOffset - scale * lat];
}

function svg(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

async function loadOutlines() {
  if (!outlines) outlines = await (await api("GET", "/dashboard/outlines")).json();
  return outlines;
}

// A hospital's kind from the registry's category words (FINESS libcategetab).
function kindFromCategory(category) {
  const c = (category || "").toLowerCase();
  if (/pharmacie/.test(c)) return "pharmacy";
  if (/personnes âgées|ehpad|hébergement/.test(c)) return "nursing_home";
  if (/clinique|soins de suite|privé/.test(c)) return "clinic";
  if (/hospitalier|hôpital|c\.h\./.test(c)) return "hospital";
  return null;
}

async function showOnMap(prefix, lat, lon) {
  const map = $(prefix + "-place-map");
  const inMetropole = lat >= MAP.latMin && lat <= MAP.latMax && lon >= MAP.lonMin && lon <= MAP.lonMax;
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || !inMetropole) {
    map.toggleAttribute("hidden", true); // overseas or abroad: the words say where, the map of France cannot
    return;
  }
  try {
    const o = await loadOutlines();
    const project = projection(o.width, o.height);
    const [x, y] = project(lon, lat);
    const shapes = svg("g", { class: "outlines" });
    for (const d of Object.values(o.paths)) shapes.append(svg("path", { d }));
    map.setAttribute("viewBox", `0 0 ${o.width} ${o.height}`);
    map.replaceChildren(shapes, svg("circle", { cx: x, cy: y, r: 14, class: "place-dot" }));
    map.toggleAttribute("hidden", false);
  } catch (err) {
    map.toggleAttribute("hidden", true); // the words still say where; the map is a help, not a need
  }
}

function setPoint(prefix, lat, lon) {
  $(prefix + "-lat").value = Number(lat).toFixed(5);
  $(prefix + "-lon").value = Number(lon).toFixed(5);
  showOnMap(prefix, Number(lat), Number(lon));
}

// A site form takes the place's name, address, FINESS number and phone where it has them.
function fillSite(prefix, place, address) {
  if (place.kind === "establishment") {
    $(prefix + "-name").value = place.name || $(prefix + "-name").value;
    address.value = place.address || place.label;
    $(prefix + "-finess").value = place.finess || "";
    const phone = $(prefix + "-contact-phone");
    if (!phone.value && place.phone) phone.value = place.phone;
    const kind = prefix === "hospital" ? kindFromCategory(place.category) : null;
    if (kind) $(prefix + "-kind").value = kind;
  } else {
    $(prefix + "-finess").value = "";
    // A commune is the end of an address: keep what was typed before it, if anything.
    if (place.kind === "address" || !address.value.trim()) address.value = place.label;
  }
}

function choose(prefix, place) {
  setPoint(prefix, place.lat, place.lon);
  const address = $(prefix + "-address");
  if (address) fillSite(prefix, place, address); // a driver's start is only a point
  $(prefix + "-place-results").replaceChildren();
  $(prefix + "-place-chosen").textContent = _("Chosen: {place}", { place: place.label });
  // The page may want more of the place (the driver's page: its département and région).
  $(prefix + "-place").dispatchEvent(new CustomEvent("place-chosen", { detail: place }));
}

const KIND_WORDS = () => ({
  commune: _("commune"), address: _("address"), establishment: _("establishment"),
});

async function search(prefix) {
  const query = $(prefix + "-place").value.trim();
  const list = $(prefix + "-place-results");
  if (!query) return;
  try {
    const places = await (await api("GET", `/places?q=${encodeURIComponent(query)}&limit=8`)).json();
    const words = KIND_WORDS();
    list.replaceChildren(...places.map((p) => h("li", {},
      h("button", { type: "button", class: "secondary place-option",
        onclick: () => choose(prefix, p) },
        p.label, " ", h("span", { class: "muted" }, `(${words[p.kind] || p.kind})`)))));
  } catch (err) {
    const message = err instanceof ApiError ? err.message : _("The search failed; try again.");
    list.replaceChildren(h("li", { class: "muted" }, message));
  }
}

function locate(prefix, button, showError) {
  if (!navigator.geolocation) {
    showError(_("Geolocation is not available; type the latitude and longitude."));
    return;
  }
  button.disabled = true;
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      setPoint(prefix, pos.coords.latitude, pos.coords.longitude);
      $(prefix + "-place-chosen").textContent = _("Chosen: your position");
      button.disabled = false;
    },
    () => {
      showError(_("Position refused or not found; type the latitude and longitude."));
      button.disabled = false;
    },
    { enableHighAccuracy: true, timeout: 15000 },
  );
}

/** Wire the place finder of the form of ``prefix`` ("hospital", "lab" or a driver's "start"). */
export function initSiteForm(prefix, showError) {
  const input = $(prefix + "-place");
  const form = input.form;
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    if (input.value.trim().length >= 3) timer = setTimeout(() => search(prefix), 300);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); clearTimeout(timer); search(prefix); }
  });
  form.querySelector(".place-go").addEventListener("click", () => search(prefix));
  const button = form.querySelector("button.locate");
  button.addEventListener("click", () => locate(prefix, button, showError));
  for (const id of ["-lat", "-lon"]) {
    $(prefix + id).addEventListener("change", () =>
      showOnMap(prefix, Number($(prefix + "-lat").value), Number($(prefix + "-lon").value)));
  }
  form.addEventListener("reset", () => {
    $(prefix + "-place-results").replaceChildren();
    $(prefix + "-place-chosen").textContent = "";
    // An SVG element has no .hidden property: the attribute it is.
    $(prefix + "-place-map").toggleAttribute("hidden", true);
    $(prefix + "-finess").value = "";
  });
}

/** The place and contact fields of the form, for the API; throws when no place is chosen. */
export function siteFields(prefix) {
  const lat = $(prefix + "-lat").value, lon = $(prefix + "-lon").value;
  if (lat === "" || lon === "") {
    throw new Error(_("Find the place first (postcode, commune, address or establishment), or use your position."));
  }
  const text = (id) => $(prefix + id).value.trim() || null;
  const body = {
    lat: Number(lat), lon: Number(lon),
    contact_name: text("-contact-name"), contact_phone: text("-contact-phone"),
    opens: $(prefix + "-opens").value, closes: $(prefix + "-closes").value,
  };
  const finess = text("-finess");
  if (finess) body.finess = finess;
  const siret = $(prefix + "-siret") && text("-siret");
  if (siret) body.siret = siret;
  return body;
}
