// The coordinator's page: live totals over /ws/live, the map, bottlenecks, a feed and a chart.
// Plain JavaScript with no dependency, so that it loads on a locked-down hospital network.
"use strict";
(() => {
  const COUNTERS = ["requested", "claimed", "made", "ready", "in_transit", "delivered", "accepted", "rejected"];
  const SVG = "http://www.w3.org/2000/svg";
  const params = new URLSearchParams(location.search);
  if (params.get("token")) localStorage.setItem("hub_token", params.get("token"));
  if (params.get("lang")) localStorage.setItem("hub_lang", params.get("lang"));
  const state = {
    area: params.get("area") || "FR",
    lang: (localStorage.getItem("hub_lang") || "fr") === "en" ? "en" : "fr",
    token: localStorage.getItem("hub_token"),
    totals: {},
    lastId: null,
    ws: null,
    retry: 0,
    outlines: null,
    refreshTimer: null,
    designs: {},
  };
  const $ = (id) => document.getElementById(id);
  const t = (key) => (window.HUB_I18N[state.lang][key] ?? key);

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  function fmt(n) {
    return new Intl.NumberFormat(state.lang === "en" ? "en-GB" : "fr-FR").format(n);
  }

  // Catalogue names in the page's language; the slug until the catalogue has loaded.
  function designName(slug) {
    const d = state.designs[slug];
    return d ? (state.lang === "fr" ? d.name_fr : d.name) : slug;
  }

  async function loadDesigns() {
    const response = await fetch("/api/v1/designs");
    for (const d of await response.json()) state.designs[d.slug] = d;
    renderCounters();
  }

  function areaLabel(area) {
    if (area === "FR") return t("france");
    const [kind, code] = area.split(":");
    const name = state.outlines && kind === "departement" ? state.outlines.names[code] : null;
    return `${t(kind)} ${code}${name ? " — " + name : ""}`;
  }

  // ---- text and language ----
  function translate() {
    document.documentElement.lang = state.lang;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    $("lang").textContent = state.lang === "fr" ? "EN" : "FR";
    $("area-label").textContent = areaLabel(state.area);
    document.title = `${t("title")} — ${areaLabel(state.area)}`;
    setConnection($("connection").dataset.state);
  }

  function setConnection(name) {
    const node = $("connection");
    node.dataset.state = name;
    node.className = `state-${name}`;
    node.textContent = t(name);
  }

  // ---- counters ----
  function value(row, counter) {
    if (counter === "in_transit") return (row.picked_up || 0) - (row.delivered || 0);
    return row[counter] || 0;
  }

  function renderCounters() {
    const body = $("counters").tBodies[0];
    body.replaceChildren();
    const designs = Object.keys(state.totals).sort();
    $("counters-empty").hidden = designs.length > 0;
    for (const design of designs) {
      const row = state.totals[design];
      const tr = el("tr");
      tr.append(el("td", designName(design), { title: design }));
      for (const counter of COUNTERS) {
        const n = value(row, counter);
        const td = el("td", null, { "data-design": design, "data-counter": counter });
        td.append(el("span", fmt(n), { class: "value" }));
        // Progress against what was requested: how far along the pipeline the demand is.
        const share = row.requested > 0 ? Math.min(100, (100 * n) / row.requested) : 0;
        const bar = el("div", null, { class: "bar" });
        bar.append(el("span", null, { style: `width:${share.toFixed(1)}%` }));
        td.append(bar);
        tr.append(td);
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
    const parts = [new Date(message.at || Date.now()).toLocaleTimeString(state.lang), t("kinds")[message.kind] || message.kind];
    if (data.design) parts.push(designName(data.design));
    if (message.kind === "batch.progress") parts.push(`${fmt(data.made)} / ${fmt(data.quantity)}`);
    else if (data.quantity !== undefined) parts.push(`${fmt(data.quantity)} ${t("units")}`);
    if (message.departement) parts.push(`(${message.departement})`);
    const names = message.names || {};
    for (const key of ["hospital", "lab", "site"]) if (names[key]) parts.push(names[key].name);
    const item = el("li", parts.join(" · "), { class: "new", "data-event-id": message.event_id });
    const feed = $("feed");
    feed.prepend(item);
    while (feed.children.length > 50) feed.lastChild.remove();
  }

  // ---- websocket ----
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const query = new URLSearchParams({ area: state.area });
    if (state.lastId !== null) query.set("since", state.lastId);
    // The token travels as a subprotocol, not in the URL, so that it stays out of access logs.
    const protocols = state.token ? ["hub.bearer", state.token] : [];
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
    $("feed").replaceChildren();
    translate();
    renderCounters();
    highlightSelection();
    connect();
  }

  // ---- panels fetched over HTTP: map, bottlenecks, chart ----
  async function getJSON(path) {
    const headers = state.token ? { Authorization: `Bearer ${state.token}` } : {};
    const sep = path.includes("?") ? "&" : "?";
    const response = await fetch(`${path}${sep}area=${encodeURIComponent(state.area)}`, { headers });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  }

  function scheduleRefresh() {
    // Events can come in bursts; the panels are recounted at most every 1.5 s.
    if (state.refreshTimer) return;
    state.refreshTimer = setTimeout(() => { state.refreshTimer = null; refreshPanels(); }, 1500);
  }

  async function refreshPanels() {
    try {
      const [map, bottlenecks, daily] = await Promise.all([
        getJSON("/api/v1/dashboard/map"),
        getJSON("/api/v1/dashboard/bottlenecks"),
        getJSON("/api/v1/dashboard/daily?days=14"),
      ]);
      renderMap(map);
      renderBottlenecks(bottlenecks);
      renderChart(daily.days);
    } catch (err) {
      // Shown on the page rather than thrown: the counters keep working from the stream.
      console.warn("dashboard panels:", err.message);
    }
  }

  async function loadOutlines() {
    const response = await fetch("/api/v1/dashboard/outlines");
    state.outlines = await response.json();
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
    translate();
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
      path.querySelector("title").textContent = `${path.dataset.code} ${state.outlines.names[path.dataset.code] || ""}` +
        (d ? ` — ${fmt(d.unmet)} ${t("unmet")}, ${fmt(d.capacity_per_day)}/j` : "");
    }
    const points = $("points");
    points.replaceChildren();
    for (const site of view.sites) {
      const dot = svg("circle", { cx: site.x, cy: site.y, r: 3.5, class: site.type });
      const title = svg("title");
      title.textContent = site.name || t(site.type === "lab" ? "labs" : "hospitals");
      dot.append(title);
      points.append(dot);
    }
  }

  // Long lists hide what matters: show the first few (the server sorts worst first).
  const SHOWN = 8;

  function fill(listId, rows, text) {
    const list = $(listId);
    list.replaceChildren();
    if (!rows.length) list.append(el("li", t("none"), { class: "muted" }));
    for (const row of rows.slice(0, SHOWN)) list.append(el("li", text(row)));
    if (rows.length > SHOWN) {
      list.append(el("li", `+ ${fmt(rows.length - SHOWN)} ${t("more")}`, { class: "muted" }));
    }
  }

  function renderBottlenecks(b) {
    const day = (iso) => new Date(iso).toLocaleDateString(state.lang);
    fill("urgent", b.urgent_needs, (n) =>
      `${designName(n.design)}: ${fmt(n.unmet)} ${t("unmet")} ${t("due")} ${day(n.needed_by)} (${n.departement ?? "?"})${n.hospital ? " · " + n.hospital : ""}`);
    fill("stalled", b.stalled_batches, (s) =>
      `${designName(s.design)}: ${fmt(s.made)} ${t("made_of")} ${fmt(s.quantity)} ${t("since")} ${day(s.last_progress)} (${s.departement ?? "?"})${s.lab ? " · " + s.lab : ""}`);
    fill("uncovered", b.uncovered, (u) => `${u.code} ${u.name}: ${fmt(u.unmet)} ${t("unmet")}`);
  }

  function renderChart(days) {
    const chart = $("chart");
    chart.replaceChildren();
    const width = 560, height = 200, bottom = 20, top = 10;
    const top_value = Math.max(1, ...days.flatMap((d) => [d.made, d.delivered]));
    const step = width / Math.max(1, days.length);
    days.forEach((d, i) => {
      const x = i * step;
      for (const [j, key] of [[0, "made"], [1, "delivered"]]) {
        const h = ((height - bottom - top) * d[key]) / top_value;
        const bar = svg("rect", { x: x + 4 + j * (step / 2 - 4), y: height - bottom - h, width: Math.max(1, step / 2 - 6), height: h,
          fill: key === "made" ? "#0b5fa5" : "#1b7f3b", "data-day": d.day, "data-kind": key });
        const title = svg("title");
        title.textContent = `${d.day}: ${fmt(d[key])} ${t(key)}`;
        bar.append(title);
        chart.append(bar);
      }
      const label = svg("text", { x: x + step / 2, y: height - 5, "text-anchor": "middle", "font-size": 10 });
      label.textContent = d.day.slice(8, 10);
      chart.append(label);
    });
  }

  // ---- start ----
  $("all-france").addEventListener("click", () => setArea("FR"));
  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "fr" ? "en" : "fr";
    localStorage.setItem("hub_lang", state.lang);
    translate();
    renderCounters();
    refreshPanels();
  });
  translate();
  renderCounters();
  loadOutlines().catch((err) => console.warn("map outlines:", err.message));
  loadDesigns().catch((err) => console.warn("catalogue:", err.message));
  connect();
})();
