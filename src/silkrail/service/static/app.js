// silkrail dashboard: the network by gauge, curated crossings, live trains, alerts.
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
const markers = new Map();

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

function trainRow(t) {
  const row = el("tr", null, { "data-id": t.id });
  const delay = el("td", `${t.delay_h >= 0 ? "+" : ""}${Number(t.delay_h).toFixed(1)} h`);
  if (t.delay_h > 12) delay.className = "late";
  row.append(el("td", t.name), el("td", t.status), el("td", fmtTime(t.eta)), delay, el("td", t.next_event || "–"));
  return row;
}

function trainIcon(t) {
  const dot = el("div", null, { "data-id": t.id, title: t.name });
  dot.className = "train-marker" + (t.delay_h > 12 ? " late" : "");
  return L.divIcon({ className: "", html: dot, iconSize: [18, 18] });
}

function renderTrains(trains) {
  document.getElementById("train-count").textContent = `(${trains.length})`;
  document.querySelector("#trains tbody").replaceChildren(...trains.map(trainRow));
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

legend();
loadBase().then(() => { document.body.dataset.ready = "1"; });
refresh();
connect();
setInterval(refresh, 5000);
