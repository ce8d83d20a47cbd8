// The coordinator's page: live totals over /ws/live, the map, bottlenecks, a feed and a chart.
// Plain JavaScript with no dependency, so that it loads on a locked-down hospital network.
import { $, LANG, LOCALE, _, day, getJson, h, ngettext, number, pgettext, token } from "./hub.js";

const COUNTERS = ["requested", "claimed", "made", "ready", "in_transit", "delivered", "accepted", "rejected"];
const SVG = "http://www.w3.org/2000/svg";
// Only the area comes from the address. A token never does: one in a link ends up in browser
// history, proxies' logs and Referer headers; the coordinator signs in on /app instead.
const params = new URLSearchParams(location.search);
const state = {
  area: params.get("area") || "FR",
  totals: {},
  lastId: null,
  ws: null,
  retry: 0,
  outlines: null,
  refreshTimer: null,
  designs: {},
};

const CONNECTION = {
  open: _("Live"), connecting: _("Connecting…"), reconnecting: _("Reconnecting…"),
  closed: _("Offline"),
};
// The words of the event feed, by event kind: the same kinds and English text as
// hub/events/kinds.py (a test keeps them equal).
const KINDS = {
  "need.created": _("New need"), "need.updated": _("Need updated"),
  "need.cancelled": _("Need cancelled"),
  "batch.claimed": _("Batch claimed"), "batch.proposed": _("Batch proposed"),
  "batch.accepted": _("Proposal accepted"), "batch.declined": _("Proposal declined"),
  "batch.progress": _("Progress"), "batch.ready": _("Batch ready"),
  "batch.picked_up": _("Batch picked up"), "batch.delivered": _("Batch delivered"),
  "batch.received": _("Receipt confirmed"), "batch.cancelled": _("Batch cancelled"),
  "batch.adjusted": _("Batch adjusted"), "batch.corrected": _("Batch corrected"),
  "batch.imported": _("Batch imported"),
  "batch.split": _("Batch split: the rest is still being made"),
  "hospital.created": _("New hospital"), "hospital.verified": _("Hospital verified"),
  "hospital.updated": _("Hospital updated"), "hospital.corrected": _("Hospital corrected"),
  "hospital.suspended": _("Hospital suspended"),
  "hospital.member_joined": _("New member of a hospital"),
  "lab.created": _("New lab"), "lab.verified": _("Lab verified"),
  "lab.updated": _("Lab updated"), "lab.corrected": _("Lab corrected"),
  "lab.suspended": _("Lab suspended"),
  "lab.member_joined": _("New member of a lab"),
  "lab.offers_replaced": _("Capacity updated"), "matching.run": _("Matcher run"),
  "route.planned": _("Route planned"), "route.released": _("Route given back"),
  "route.stops_closed": _("Route stops closed by a receipt"),
};
const COUNTER_WORDS = {
  made: pgettext("counter", "made"), delivered: pgettext("counter", "delivered"),
};

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

// Catalogue names in the page's language; the slug until the catalogue has loaded.
function designName(slug) {
  const d = state.designs[slug];
  return d ? (LANG === "fr" ? d.name_fr || d.name : d.name) : slug;
}

async function loadDesigns() {
  for (const d of await getJson("/designs")) state.designs[d.slug] = d;
  renderCounters();
}

function areaLabel(area) {
  if (area === "FR") return _("France");
  const [kind, code] = area.split(":");
  const name = state.outlines && kind === "departement" ? state.outlines.names[code] : null;
  if (kind === "region") return _("Région {code}", { code });
  if (name) return _("Département {code} — {name}", { code, name });
  return _("Département {code}", { code });
}

function showArea() {
  $("area-label").textContent = areaLabel(state.area);
  document.title = `${_("Dashboard")} — ${areaLabel(state.area)}`;
  $("all-france").hidden = state.area === "FR";
}

function setConnection(name) {
  const node = $("connection");
  node.dataset.state = name;
  node.className = `state-${name}`;
  node.textContent = CONNECTION[name];
}

// ---- counters ----
function value(row, counter) {
  if (counter === "in_transit") return (row.picked_up || 0) - (row.delivered || 0);
  return row[counter] || 0;
}

// The column headings, in the page's language: on a phone each cell shows its own (the table
// reflows into one card per design, see dashboard.css).
const HEADINGS = [...document.querySelectorAll("#counters thead th")].slice(1).map((th) => th.textContent);

function renderCounters() {
  const body = $("counters").tBodies[0];
  body.replaceChildren();
  const designs = Object.keys(state.totals).sort();
  $("counters-empty").hidden = designs.length > 0;
  for (const design of designs) {
    const row = state.totals[design];
    const tr = h("tr", {}, h("th", { scope: "row", title: design }, designName(design)));
    for (const counter of COUNTERS) {
      const n = value(row, counter);
      // Progress against what was requested: how far along the pipeline the demand is. The
      // bar's width is set through CSSOM, which the Content-Security-Policy allows.
      const share = row.requested > 0 ? Math.min(100, (100 * n) / row.requested) : 0;
      const fill = h("span");
      fill.style.width = `${share.toFixed(1)}%`;
      tr.append(h("td", { "data-design": design, "data-counter": counter,
                          "data-label": HEADINGS[COUNTERS.indexOf(counter)] },
        h("span", { class: "value" }, number(n)), h("div", { class: "bar" }, fill)));
    }
    body.append(tr);
  }
  $("event-id").textContent = state.lastId === null ? "" : `#${state.lastId}`;
}

function applyDelta(delta) {
  for (const [design, counters] of Object.entries(delta || {})) {
    const row = (state.totals[design] ||= {});
    for (const [counter, n] of Object.entries(counters)) row[counter] = (row[counter] || 0) + n;
  }
}

// ---- live feed ----
function addToFeed(message) {
  const data = message.data || {};
  const at = new Date(message.at || Date.now());
  const parts = [at.toLocaleTimeString(LOCALE), KINDS[message.kind] || message.kind];
  if (data.design) parts.push(designName(data.design));
  if (message.kind === "batch.progress") {
    parts.push(_("{made} of {quantity}", { made: data.made, quantity: data.quantity }));
  } else if (data.quantity !== undefined) {
    parts.push(ngettext("{n} unit", "{n} units", data.quantity));
  }
  if (message.departement) parts.push(`(${message.departement})`);
  const names = message.names || {};
  for (const key of ["hospital", "lab", "site"]) if (names[key]) parts.push(names[key].name);
  const feed = $("feed");
  for (const placeholder of feed.querySelectorAll(".empty")) placeholder.remove();
  feed.prepend(h("li", { class: "new", "data-event-id": message.event_id }, parts.join(" · ")));
  while (feed.children.length > 50) feed.lastChild.remove();
}

// Until the first change arrives, say where changes will show.
function emptyFeed() {
  $("feed").replaceChildren(h("li", { class: "muted empty" }, _("Changes will appear here as they happen.")));
}

// ---- websocket ----
function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const query = new URLSearchParams({ area: state.area });
  if (state.lastId !== null) query.set("since", state.lastId);
  // The token travels as a subprotocol, not in the URL, so that it stays out of access logs.
  const bearer = token.get();
  const protocols = bearer ? ["hub.bearer", bearer] : [];
  const ws = new WebSocket(`${proto}://${location.host}/ws/live?${query}`, protocols);
  state.ws = ws;
  setConnection(state.retry ? "reconnecting" : "connecting");
  ws.onmessage = (e) => {
    if (ws !== state.ws) return;
    const m = JSON.parse(e.data);
    if (m.type === "snapshot") {
      state.totals = m.totals;
      state.lastId = m.event_id;
      state.retry = 0;
      setConnection("open");
      renderCounters();
      refreshPanels();
    } else if (m.type === "resumed") {
      state.lastId = Math.max(state.lastId ?? 0, m.event_id);
      state.retry = 0;
      setConnection("open");
      renderCounters();
      refreshPanels();
    } else if (m.type === "event") {
      if (state.lastId !== null && m.event_id <= state.lastId) return;
      applyDelta(m.totals_delta);
      state.lastId = m.event_id;
      renderCounters();
      addToFeed(m);
      scheduleRefresh();
    }
  };
  ws.onclose = () => {
    if (ws !== state.ws) return;
    // Too slow, server restart or network loss: come back with since= and lose nothing.
    setConnection("reconnecting");
    const delay = Math.min(10000, 500 * 2 ** state.retry) * (0.75 + Math.random() / 2);
    state.retry += 1;
    setTimeout(() => { if (ws === state.ws) connect(); }, delay);
  };
}

function setArea(area) {
  if (area === state.area) return;
  state.area = area;
  state.totals = {};
  state.lastId = null; // another area: a fresh snapshot, not a replay
  const old = state.ws;
  state.ws = null;
  if (old) old.close();
  const url = new URL(location.href);
  if (area === "FR") url.searchParams.delete("area"); else url.searchParams.set("area", area);
  history.replaceState(null, "", url);
  // The language switch keeps the area too.
  const other = new URL($("lang").href);
  if (area === "FR") other.searchParams.delete("area"); else other.searchParams.set("area", area);
  $("lang").href = other.pathname + other.search;
  emptyFeed();
  showArea();
  renderCounters();
  highlightSelection();
  connect();
}

// ---- panels fetched over HTTP: map, bottlenecks, chart ----
function inArea(path) {
  const sep = path.includes("?") ? "&" : "?";
  return `${path}${sep}area=${encodeURIComponent(state.area)}`;
}

function scheduleRefresh() {
  // Events can come in bursts; the panels are recounted at most every 1.5 s.
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(() => { state.refreshTimer = null; refreshPanels(); }, 1500);
}

async function refreshPanels() {
  try {
    const [map, bottlenecks, daily] = await Promise.all([
      getJson(inArea("/dashboard/map")),
      getJson(inArea("/dashboard/bottlenecks")),
      getJson(inArea("/dashboard/daily?days=14")),
    ]);
    renderMap(map);
    renderBottlenecks(bottlenecks);
    renderChart(daily.days);
  } catch (err) {
    // Logged rather than thrown: the counters keep working from the stream.
    console.warn("dashboard panels:", err.message);
  }
}

async function loadOutlines() {
  state.outlines = await getJson("/dashboard/outlines");
  const map = $("map");
  map.setAttribute("viewBox", `0 0 ${state.outlines.width} ${state.outlines.height}`);
  const shapes = svg("g", { id: "departements" });
  for (const [code, d] of Object.entries(state.outlines.paths)) {
    const path = svg("path", { d, "data-code": code, fill: "#e9ece6" });
    const title = svg("title");
    title.textContent = `${code} ${state.outlines.names[code] || ""}`;
    path.append(title);
    path.addEventListener("click", () => {
      const area = `departement:${code}`;
      setArea(state.area === area ? "FR" : area);
    });
    shapes.append(path);
  }
  map.replaceChildren(shapes, svg("g", { id: "points" }));
  highlightSelection();
  showArea();
}

function highlightSelection() {
  for (const path of document.querySelectorAll("#map path")) {
    path.classList.toggle("selected", state.area === `departement:${path.dataset.code}`);
  }
}

function renderMap(view) {
  if (!state.outlines) return;
  const byCode = Object.fromEntries(view.departements.map((d) => [d.code, d]));
  const worst = Math.max(1, ...view.departements.map((d) => d.unmet));
  for (const path of document.querySelectorAll("#map path")) {
    const d = byCode[path.dataset.code];
    // Square root: a few large needs should not wash every other département out.
    const share = d ? Math.sqrt(d.unmet / worst) : 0;
    path.setAttribute("fill", d && d.unmet > 0 ? `rgba(179,38,30,${(0.15 + 0.85 * share).toFixed(2)})` : "#e9ece6");
    const name = `${path.dataset.code} ${state.outlines.names[path.dataset.code] || ""}`;
    let text = name;
    if (d) {
      const unmet = ngettext("{n} unit unmet", "{n} units unmet", d.unmet);
      const capacity = ngettext("{n} unit per day", "{n} units per day", d.capacity_per_day);
      text = _("{name}: {unmet}, {capacity}", { name, unmet, capacity });
    }
    path.querySelector("title").textContent = text;
  }
  const points = $("points");
  points.replaceChildren();
  for (const site of view.sites) {
    const dot = svg("circle", { cx: site.x, cy: site.y, r: 3.5, class: site.type });
    const title = svg("title");
    title.textContent = site.name || (site.type === "lab" ? _("Lab") : _("Hospital"));
    dot.append(title);
    points.append(dot);
  }
}

// Long lists hide what matters: show the first few (the server sorts worst first).
const SHOWN = 8;

function fill(listId, rows, text) {
  const list = $(listId);
  list.replaceChildren();
  if (!rows.length) list.append(h("li", { class: "muted" }, _("Nothing to report.")));
  for (const row of rows.slice(0, SHOWN)) list.append(h("li", {}, text(row)));
  if (rows.length > SHOWN) {
    list.append(h("li", { class: "muted" }, ngettext("and {n} more", "and {n} more", rows.length - SHOWN)));
  }
}

const where = (code, name) => (name ? ` · ${name}` : "") + ` (${code ?? "?"})`;

function renderBottlenecks(b) {
  fill("urgent", b.urgent_needs, (n) => {
    const unmet = ngettext("{n} unit unmet", "{n} units unmet", n.unmet);
    const text = _("{design}: {unmet} by {date}", { design: designName(n.design), unmet, date: day(n.needed_by) });
    return text + where(n.departement, n.hospital);
  });
  fill("stalled", b.stalled_batches, (s) => _("{design}: {made} of {quantity} made, nothing since {date}", {
    design: designName(s.design), made: s.made, quantity: s.quantity, date: day(s.last_progress),
  }) + where(s.departement, s.lab));
  fill("uncovered", b.uncovered, (u) => {
    const unmet = ngettext("{n} unit unmet", "{n} units unmet", u.unmet);
    return _("{code} {name}: {unmet}", { code: u.code, name: u.name, unmet });
  });
}

function renderChart(days) {
  const chart = $("chart");
  chart.replaceChildren();
  const width = 560, height = 200, bottom = 30, top = 10;
  const topValue = Math.max(1, ...days.flatMap((d) => [d.made, d.delivered]));
  const step = width / Math.max(1, days.length);
  days.forEach((d, i) => {
    const x = i * step;
    for (const [j, key] of [[0, "made"], [1, "delivered"]]) {
      const barHeight = ((height - bottom - top) * d[key]) / topValue;
      const bar = svg("rect", { x: x + 4 + j * (step / 2 - 4), y: height - bottom - barHeight,
        width: Math.max(1, step / 2 - 6), height: barHeight,
        fill: key === "made" ? "#0b5fa5" : "#1b7f3b", "data-day": d.day, "data-kind": key });
      const title = svg("title");
      title.textContent = _("{date}: {n} {counter}", { date: day(d.day), n: d[key], counter: COUNTER_WORDS[key] });
      bar.append(title);
      chart.append(bar);
    }
    // Large enough to read once the chart is shrunk to a phone's width.
    const label = svg("text", { x: x + step / 2, y: height - 4, "text-anchor": "middle", "font-size": 22 });
    label.textContent = d.day.slice(8, 10);
    chart.append(label);
  });
}

// ---- start ----
$("all-france").addEventListener("click", () => setArea("FR"));
showArea();
renderCounters();
emptyFeed();
loadOutlines().catch((err) => console.warn("map outlines:", err.message));
loadDesigns().catch((err) => console.warn("catalogue:", err.message));
connect();
