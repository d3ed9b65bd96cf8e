// silkrail dashboard: the network by gauge, curated crossings, live trains, alerts.
// Everything comes from this service: no tile server, nothing fetched from elsewhere.
"use strict";

const GAUGE_COLOURS = { "1000": "#e67e22", "1067": "#d35400", "1435": "#2e86de", "1520": "#c0392b",
  "1668": "#8e44ad", "1676": "#16a085", "1600": "#7f8c8d", "1050": "#7f8c8d", "dual": "#27ae60", "break": "#000" };

const map = L.map("map", { preferCanvas: true, worldCopyJump: true, minZoom: 2 }).setView([42, 85], 3);
map.attributionControl.setPrefix(false);
map.attributionControl.addAttribution("© OpenStreetMap contributors (ODbL); Natural Earth");
const trainLayer = L.layerGroup().addTo(map);
const markers = new Map();

function legend() {
  const el = document.getElementById("legend");
  el.innerHTML = "<h2>Track gauge</h2>" + ["1000", "1435", "1520", "1676", "1067", "dual"]
    .map((g) => `<span><i style="background:${GAUGE_COLOURS[g]}"></i>${g === "dual" ? "dual gauge" : g + " mm"}</span>`).join("");
}

async function loadBase() {
  const topo = await (await fetch("/static/vendor/countries-50m.json")).json();
  L.geoJSON(topojson.feature(topo, topo.objects.countries), {
    style: { color: "#9aa5ad", weight: 0.6, fillColor: "#fbfaf5", fillOpacity: 1 }, interactive: false,
  }).addTo(map);
  const net = await (await fetch("/api/v1/network")).json();
  L.geoJSON(net, {
    style: (f) => ({ color: GAUGE_COLOURS[f.properties.gauge] || "#555", weight: 1.3, opacity: 0.85 }),
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 4, color: "#222", weight: 1, fillColor: "#f1c40f", fillOpacity: 0.9 })
      .bindTooltip(`${f.properties.crossing} (${f.properties.method}, ~${Math.round(f.properties.dwell_h)} h)`),
  }).addTo(map);
  trainLayer.bringToFront && trainLayer.bringToFront();
}

function fmtTime(iso) { return iso ? iso.replace("T", " ").slice(0, 16) : "–"; }
function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c])); }

function renderTrains(trains) {
  document.getElementById("train-count").textContent = `(${trains.length})`;
  const body = document.querySelector("#trains tbody");
  body.innerHTML = trains.map((t) => `<tr data-id="${esc(t.id)}"><td>${esc(t.name)}</td><td>${esc(t.status)}</td>` +
    `<td>${fmtTime(t.eta)}</td><td class="${t.delay_h > 12 ? "late" : ""}">${t.delay_h >= 0 ? "+" : ""}${t.delay_h.toFixed(1)} h</td>` +
    `<td>${esc(t.next_event || "–")}</td></tr>`).join("");
  const seen = new Set();
  for (const t of trains) {
    if (!t.last_position) continue;
    seen.add(t.id);
    const ll = [t.last_position.lat, t.last_position.lon];
    const html = `<div class="train-marker ${t.delay_h > 12 ? "late" : ""}" data-id="${esc(t.id)}" title="${esc(t.name)}"></div>`;
    const icon = L.divIcon({ className: "", html, iconSize: [18, 18] });
    if (markers.has(t.id)) {
      markers.get(t.id).setLatLng(ll).setIcon(icon);
    } else {
      markers.set(t.id, L.marker(ll, { icon }).bindTooltip(t.name).addTo(trainLayer));
    }
  }
  for (const [id, m] of markers) if (!seen.has(id)) { trainLayer.removeLayer(m); markers.delete(id); }
}

function renderAlerts(alerts) {
  document.getElementById("alert-count").textContent = `(${alerts.length})`;
  document.getElementById("alerts").innerHTML = alerts.slice(-50).reverse().map((a) =>
    `<li class="${esc(a.kind)}" data-kind="${esc(a.kind)}"><b>${esc(a.kind)}</b> ${esc(a.message)} <small>${fmtTime(a.time)}</small></li>`).join("");
}

let pending = false;
async function refresh() {
  if (pending) return;
  pending = true;
  try {
    const [trains, alerts] = await Promise.all([
      fetch("/api/v1/trains").then((r) => r.json()), fetch("/api/v1/alerts").then((r) => r.json())]);
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
