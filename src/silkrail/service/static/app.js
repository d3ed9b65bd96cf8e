// silkrail dashboard: the network by gauge, curated crossings, live trains, alerts, the corridor
// forecast (queue at each crossing with its band, ETA bands and holds) and a what-if panel.
// Everything comes from this service: no tile server, nothing fetched from elsewhere.
// Every string from the API is set as text (textContent, DOM nodes), never parsed as HTML: a
// train's name or an alert's message is whatever a writer sent.
"use strict";

const GAUGE_COLOURS = { "1000": "#e67e22", "1067": "#d35400", "1435": "#2e86de", "1520": "#c0392b",
  "1668": "#8e44ad", "1676": "#16a085", "1600": "#7f8c8d", "1050": "#7f8c8d", "dual": "#27ae60", "break": "#000" };

const map = L.map("map", { preferCanvas: true, worldCopyJump: true, minZoom: 2 }).setView([42, 85], 3);
map.attributionControl.setPrefix(false);
map.attributionControl.addAttribution("© OpenStreetMap contributors (ODbL)");
const trainLayer = L.layerGroup().addTo(map);
const forecastLayer = L.layerGroup().addTo(map);
const whatIfLayer = L.layerGroup().addTo(map);
const markers = new Map();
let forecastByTrain = new Map();  // train id -> its forecast
const affected = new Map();  // train id -> "affected" | "rerouted" (the last what-if)

// an element with text content (and attributes, set as attributes)
function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}

function legend() {
  const box = document.getElementById("legend");
  box.replaceChildren(el("h2", "Track gauge"));
  for (const g of ["1000", "1435", "1520", "1676", "1067", "dual"]) {
    const swatch = el("i");
    swatch.style.background = GAUGE_COLOURS[g];
    const item = el("span");
    item.append(swatch, g === "dual" ? "dual gauge" : g + " mm");
    box.append(item);
  }
}

async function loadBase() {
  const outlines = await (await fetch("/api/v1/outlines")).json();
  L.geoJSON(outlines, {
    style: { color: "#9aa5ad", weight: 0.6, fillColor: "#fbfaf5", fillOpacity: 1 }, interactive: false,
  }).addTo(map);
  const net = await (await fetch("/api/v1/network")).json();
  L.geoJSON(net, {
    style: (f) => ({ color: GAUGE_COLOURS[f.properties.gauge] || "#555", weight: 1.3, opacity: 0.85 }),
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 4, color: "#222", weight: 1, fillColor: "#f1c40f", fillOpacity: 0.9 })
      .bindTooltip(el("span", `${f.properties.crossing} (${f.properties.method}, ~${Math.round(f.properties.dwell_h)} h)`)),
  }).addTo(map);
  trainLayer.bringToFront && trainLayer.bringToFront();
}

function fmtTime(iso) { return iso ? iso.replace("T", " ").slice(0, 16) : "–"; }

// an ETA band as "MM-DD HH:MM–MM-DD HH:MM" (the 10th to the 90th percentile)
function fmtBand(b) {
  if (!b || !b.p10 || !b.p90) return "–";
  const t = (iso) => iso.replace("T", " ").slice(5, 16);
  return `${t(b.p10)}–${t(b.p90)}`;
}

function trainRow(t) {
  const row = el("tr", null, { "data-id": t.id });
  const delay = el("td", `${t.delay_h >= 0 ? "+" : ""}${Number(t.delay_h).toFixed(1)} h`);
  if (t.delay_h > 12) delay.className = "late";
  const fc = forecastByTrain.get(t.id);
  const band = el("td", fc ? fmtBand(fc.eta) : "–", { "data-band": fc ? "1" : "0" });
  const holdH = fc ? Number(fc.suggested_hold_h) : 0;
  const hold = el("td", holdH > 0 ? `${holdH.toFixed(1)} h` : "–");
  if (holdH > 0) {
    hold.className = "hold";
    hold.title = fc.holds.map((h) => `${h.where === "departure" ? "leave later" : "hold at a yard"} before ${h.name}`).join("; ");
  }
  row.append(el("td", t.name), el("td", t.status), el("td", fmtTime(t.eta)), band, hold, delay, el("td", t.next_event || "–"));
  return row;
}

function trainIcon(t) {
  const dot = el("div", null, { "data-id": t.id, title: t.name });
  dot.className = "train-marker" + (t.delay_h > 12 ? " late" : "") + (affected.has(t.id) ? " " + affected.get(t.id) : "");
  return L.divIcon({ className: "", html: dot, iconSize: [18, 18] });
}

const STATUS_ORDER = { at_crossing: 0, running: 1, planned: 2, arrived: 3 };
function renderTrains(trains) {
  document.getElementById("train-count").textContent = `(${trains.length})`;
  const listed = trains.slice().sort((a, b) => (STATUS_ORDER[a.status] ?? 4) - (STATUS_ORDER[b.status] ?? 4));
  document.querySelector("#trains tbody").replaceChildren(...listed.map(trainRow));
  const seen = new Set();
  for (const t of trains) {
    if (!t.last_position) continue;
    seen.add(t.id);
    const ll = [t.last_position.lat, t.last_position.lon];
    if (markers.has(t.id)) {
      markers.get(t.id).setLatLng(ll).setIcon(trainIcon(t)).setTooltipContent(el("span", t.name));
    } else {
      markers.set(t.id, L.marker(ll, { icon: trainIcon(t) }).bindTooltip(el("span", t.name)).addTo(trainLayer));
    }
    markers.get(t.id).silkrail = { name: t.name, delay_h: t.delay_h };
  }
  for (const [id, m] of markers) if (!seen.has(id)) { trainLayer.removeLayer(m); markers.delete(id); }
}

function renderAlerts(alerts) {  // newest first
  document.getElementById("alert-count").textContent = `(${alerts.length})`;
  document.getElementById("alerts").replaceChildren(...alerts.map((a) => {
    const item = el("li", null, { "data-kind": a.kind });
    item.className = a.kind;
    item.append(el("b", a.kind), " ", a.message, " ", el("small", fmtTime(a.time)));
    return item;
  }));
}

let pending = false;
async function refresh() {
  if (pending) return;
  pending = true;
  try {
    const [trains, alerts] = await Promise.all([
      fetch("/api/v1/trains").then((r) => r.json()),
      fetch("/api/v1/alerts?newest_first=true&limit=50").then((r) => r.json())]);
    renderTrains(trains);
    renderAlerts(alerts);
  } finally { pending = false; }
}

function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/stream`);
  const status = document.getElementById("status");
  ws.onopen = () => { status.textContent = "live"; };
  ws.onmessage = () => refresh();
  ws.onclose = () => { status.textContent = "reconnecting…"; setTimeout(connect, 2000); };
}

// --- the forecast ---------------------------------------------------------------------------

const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}

function hoursFrom(stateAt, iso) { return (Date.parse(iso) - Date.parse(stateAt)) / 3.6e6; }

// the queue over the horizon: the p10–p90 band, the median line, closures shaded
function queueChart(c, doc) {
  const w = 160, h = 36, horizon = doc.horizon_h;
  const top = Math.max(1, ...c.queue.map((p) => p.p90 || 0));
  const x = (hh) => 1 + (Math.min(Math.max(hh, 0), horizon) / horizon) * (w - 2);
  const y = (q) => h - 2 - ((q || 0) / top) * (h - 6);
  const chart = svg("svg", { width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img", "data-crossing": c.id });
  const title = svg("title");
  title.textContent = `${c.name}: trains queueing over ${horizon} h (median, 10th–90th percentile); most ${top}`;
  chart.append(title);
  for (const win of c.closed) {
    const a = x(hoursFrom(doc.state_at, win.from)), b = win.to ? x(hoursFrom(doc.state_at, win.to)) : w;
    chart.append(svg("rect", { class: "closed", x: a, y: 0, width: Math.max(b - a, 1), height: h }));
  }
  const upper = c.queue.map((p) => `${x(p.h)},${y(p.p90)}`);
  const lower = c.queue.slice().reverse().map((p) => `${x(p.h)},${y(p.p10)}`);
  chart.append(svg("polygon", { class: "band", points: upper.concat(lower).join(" ") }));
  chart.append(svg("polyline", { class: "median", points: c.queue.map((p) => `${x(p.h)},${y(p.p50)}`).join(" ") }));
  return chart;
}

function renderForecast(doc) {
  forecastByTrain = new Map(doc.trains.map((t) => [t.id, t]));
  document.getElementById("forecast-when").textContent =
    `(from ${fmtTime(doc.state_at)} UTC, ${doc.horizon_h} h, ${doc.replications} runs)`;
  document.getElementById("forecast-alerts").replaceChildren(...doc.alerts.map((a) => {
    const item = el("li", a.message, { "data-crossing": a.crossing });
    return item;
  }));
  const shown = doc.crossings.filter((c) => c.trains > 0 || c.peak.queue > 0);
  document.getElementById("forecast-crossings").replaceChildren(...shown.map((c) => {
    const row = el("div", null, { "data-crossing": c.id });
    row.className = "fc-crossing";
    const name = el("div");
    name.append(el("b", c.name), el("br"), el("small", `${c.trains.toFixed(1)} trains in ${doc.horizon_h} h`));
    const wait = el("div");
    wait.append(el("span", `peak ${c.peak.queue.toFixed(0)} at +${c.peak.h.toFixed(0)} h`), el("br"),
      el("small", `wait ${Number(c.wait_h.p50 || 0).toFixed(1)} h (p90 ${Number(c.wait_h.p90 || 0).toFixed(1)} h)`));
    row.append(name, queueChart(c, doc), wait);
    return row;
  }));
  forecastLayer.clearLayers();
  const alerted = new Set(doc.alerts.map((a) => a.crossing));
  for (const c of shown) {
    if (c.peak.queue < 1) continue;
    L.circleMarker([c.lat, c.lon], {
      radius: 6 + 2 * Math.min(c.peak.queue, 12), color: alerted.has(c.id) ? "#c0392b" : "#e67e22", weight: 2,
      fillOpacity: 0.25, interactive: true,
    }).bindTooltip(el("span", `${c.name}: queue up to ${c.peak.queue.toFixed(0)} trains at +${c.peak.h.toFixed(0)} h`))
      .addTo(forecastLayer);
  }
  const slots = doc.slots && doc.slots.crossings.length ? doc.slots : null;
  document.getElementById("forecast-slots").textContent = slots ? slotText(slots) : "No crossing needs slots.";
  const select = document.getElementById("what-if-crossing");
  const chosen = select.value;
  select.replaceChildren(...doc.crossings.map((c) => el("option", c.name, { value: c.id })));
  if (chosen) select.value = chosen;
  else if (doc.crossings.length) select.value = doc.crossings[0].id;
  document.body.dataset.forecast = "1";
}

// the suggested slots in a sentence: holds by where they are taken, the border queue before and after
function slotText(slots) {
  const yard = slots.crossings.reduce((a, c) => a + c.yard_hold_h, 0);
  const later = slots.crossings.reduce((a, c) => a + c.departure_hold_h, 0);
  const border = slots.crossings.map((c) => `${c.name} ${c.fcfs_wait_h.toFixed(0)} h → ${c.border_wait_h.toFixed(0)} h`).join(", ");
  let text = `Suggested slots: ${slots.holds.length} holds (${yard.toFixed(0)} h at yards before the border, ` +
    `${later.toFixed(0)} h leaving later); border queue ${border}.`;
  if (slots.saved_h !== null && slots.saved_h >= 0.5) text += ` Wait saved: ${slots.saved_h.toFixed(0)} h.`;
  return text;
}

let forecastPending = false;
async function refreshForecast() {
  if (forecastPending) return;
  forecastPending = true;
  try {
    const r = await fetch("/api/v1/forecast");
    if (r.ok) renderForecast(await r.json());
  } finally { forecastPending = false; }
}

// --- what-if: close a crossing, see the affected trains on the map -------------------------------

function renderWhatIf(doc, crossing) {
  affected.clear();
  whatIfLayer.clearLayers();
  const s = doc.summary;
  document.getElementById("what-if-status").textContent =
    `${s.affected} trains delayed, ${s.delay_h.toFixed(0)} h in all; ${s.rerouted} have a better route (saving ${s.saved_by_reroutes_h.toFixed(0)} h).`;
  const rows = doc.affected.map((a) => {
    const better = a.reroute && a.reroute.better;
    affected.set(a.id, better ? "rerouted" : "affected");
    const route = a.reroute
      ? (better ? `via ${a.reroute.via.join(", ") || "no crossing"}: saves ${a.reroute.saves_h.toFixed(0)} h`
        : `stay (other route ${(-a.reroute.saves_h).toFixed(0)} h later)`)
      : (a.note || "–");
    const row = el("tr", null, { "data-id": a.id, "data-reroute": better ? "1" : "0" });
    row.append(el("td", a.name), el("td", `+${a.delay_h.toFixed(1)} h`), el("td", route));
    if (better && a.reroute.path.length > 1) {
      L.polyline(a.reroute.path.map(([lon, lat]) => [lat, lon]), { color: "#27ae60", weight: 2.5, dashArray: "6 5", opacity: 0.9 })
        .bindTooltip(el("span", `${a.name}: ${route}`)).addTo(whatIfLayer);
    }
    if (!markers.has(a.id) && a.lat !== null && a.lon !== null) {  // a train not reporting yet: where it starts
      L.marker([a.lat, a.lon], { icon: trainIcon({ id: a.id, name: a.name, delay_h: 0 }) })
        .bindTooltip(el("span", a.name)).addTo(whatIfLayer);
    }
    return row;
  });
  const table = document.getElementById("what-if-trains");
  table.querySelector("tbody").replaceChildren(...rows);
  table.hidden = rows.length === 0;
  const q = doc.queues.find((x) => x.id === crossing.id);
  const place = q ? [q.lat, q.lon] : crossing.latlon;
  if (place) {
    const label = el("div", `closed ${doc.change.close.hours} h`);
    label.className = "closed-crossing";
    L.marker(place, { icon: L.divIcon({ className: "", html: label, iconSize: null }), zIndexOffset: 1000 }).addTo(whatIfLayer);
  }
  document.getElementById("what-if-clear").hidden = false;
  for (const [id, m] of markers) m.setIcon(trainIcon({ ...m.silkrail, id }));
  const seen = doc.affected.filter((a) => a.lat !== null && a.lon !== null).map((a) => [a.lat, a.lon]);
  if (place) seen.push(place);
  if (seen.length) map.fitBounds(L.latLngBounds(seen).pad(0.4), { maxZoom: 6 });
  document.body.dataset.whatIf = "1";
}

document.getElementById("what-if-token").value = sessionStorage.getItem("silkrail-token") || "";
document.getElementById("what-if-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const select = document.getElementById("what-if-crossing");
  const token = document.getElementById("what-if-token").value.trim();
  const hours = Number(document.getElementById("what-if-hours").value);
  const status = document.getElementById("what-if-status");
  sessionStorage.setItem("silkrail-token", token);
  status.textContent = `forecasting with ${select.selectedOptions[0] ? select.selectedOptions[0].textContent : select.value} closed…`;
  document.getElementById("what-if-run").disabled = true;
  try {
    const r = await fetch("/api/v1/forecast/what-if", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ close: { crossing: select.value, hours } }),
    });
    const doc = await r.json();
    if (!r.ok) { status.textContent = `refused (${r.status}): ${doc.error || "error"}`; return; }
    renderWhatIf(doc, { id: select.value });
  } catch (e) {
    status.textContent = `the service did not answer: ${e}`;
  } finally { document.getElementById("what-if-run").disabled = false; }
});
document.getElementById("what-if-clear").addEventListener("click", () => {
  affected.clear();
  whatIfLayer.clearLayers();
  document.getElementById("what-if-trains").hidden = true;
  document.getElementById("what-if-status").textContent = "";
  document.getElementById("what-if-clear").hidden = true;
  for (const [id, m] of markers) m.setIcon(trainIcon({ ...m.silkrail, id }));
  delete document.body.dataset.whatIf;
});

legend();
loadBase().then(() => { document.body.dataset.ready = "1"; });
refresh();
refreshForecast().then(refresh);
connect();
setInterval(refresh, 5000);
setInterval(refreshForecast, 30000);
