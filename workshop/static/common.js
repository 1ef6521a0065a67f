// Shared helpers: the API, the live socket, formatting and small SVG charts.
"use strict";

async function api(method, path, body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(errorText(data) || response.statusText);
    error.data = data;
    error.status = response.status;
    throw error;
  }
  return data;
}

function errorText(data) {
  if (!data) return "";
  return LANG === "zh" ? (data.message_zh || data.message) : data.message;
}

// A WebSocket that sends the token first, reconnects after a drop and pings now and then.
function live(gameId, token, onMessage, onConnection) {
  let socket = null;
  let wait = 500;
  let stopped = false;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(`${scheme}${location.host}/api/games/${gameId}/ws`);
    socket.onopen = () => { socket.send(JSON.stringify({ token })); wait = 500; onConnection(true); };
    socket.onmessage = (event) => onMessage(JSON.parse(event.data));
    socket.onclose = (event) => {
      onConnection(false);
      if (event.code === 4401 || event.code === 4403) { stopped = true; return; }
      if (!stopped) setTimeout(connect, wait);
      wait = Math.min(wait * 2, 5000);
    };
  }
  connect();
  setInterval(() => { if (socket && socket.readyState === 1) socket.send("ping"); }, 20000);
}

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function num(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return t("none");
  return Number(value).toLocaleString(LANG === "zh" ? "zh-CN" : "en-US",
    { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function yuanPerT(market, ticks) { return ticks * market.yuan_per_tick_per_t; }
function tonnes(market, lots) { return lots * market.lot_t; }

function flash(element, text, kind) {
  element.textContent = text;
  element.classList.toggle("error", kind === "error");
  element.hidden = false;
  clearTimeout(element._timer);
  element._timer = setTimeout(() => { element.hidden = true; }, kind === "error" ? 8000 : 3000);
}

function clockText(clock) {
  if (!clock) return "";
  const parts = [`${t(clock.status)}`];
  if (clock.round) parts.push(`${t("round")} ${clock.round}/${clock.rounds}`);
  parts.push(`${t("year")} ${clock.year}`, `${t("day")} ${clock.day + 1}`, clock.time);
  if (clock.status === "open" || clock.status === "paused") {
    const s = Math.round(clock.seconds_left);
    parts.push(`${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")} ${t("left")}`);
  }
  return parts.join(" · ");
}

// A line chart: series = [{label, points: [[x, y], ...], dashed, color}].
function lineChart(series, { width = 640, height = 220, xLabel = "", yLabel = "" } = {}) {
  const all = series.flatMap((s) => s.points).filter((p) => p[1] !== null);
  if (!all.length) return `<p class="muted">${t("none_yet")}</p>`;
  const pad = { l: 56, r: 12, t: 10, b: 28 };
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (x1 === x0) x1 = x0 + 1;
  const span = (y1 - y0) || Math.abs(y1) || 1;
  y0 -= span * 0.08; y1 += span * 0.08;
  const sx = (x) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const sy = (y) => height - pad.b - ((y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  const colors = ["#1f6f8b", "#d1495b", "#66a182", "#edae49", "#7c5295"];
  const lines = series.map((s, k) => {
    const pts = s.points.filter((p) => p[1] !== null).map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`);
    const color = s.color || colors[k % colors.length];
    const dots = s.dashed || pts.length > 60 ? "" : pts.map((p) => {
      const [x, y] = p.split(",");
      return `<circle cx="${x}" cy="${y}" r="3" fill="${color}"/>`;
    }).join("");
    return `<polyline fill="none" stroke="${color}" stroke-width="2" ${s.dashed ? 'stroke-dasharray="6 4"' : ""} points="${pts.join(" ")}"/>${dots}`;
  }).join("");
  const legend = series.map((s, k) => `<span class="key" style="--c:${s.color || colors[k % colors.length]}">${esc(s.label)}</span>`).join("");
  const ticks = [y0 + (y1 - y0) * 0.1, (y0 + y1) / 2, y1 - (y1 - y0) * 0.1].map((y) =>
    `<text x="${pad.l - 6}" y="${sy(y) + 4}" text-anchor="end">${num(y, 0)}</text>` +
    `<line x1="${pad.l}" x2="${width - pad.r}" y1="${sy(y)}" y2="${sy(y)}" class="grid"/>`).join("");
  return `<svg viewBox="0 0 ${width} ${height}" class="chart" role="img">${ticks}${lines}` +
    `<text x="${width / 2}" y="${height - 6}" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text x="12" y="${height / 2}" transform="rotate(-90 12 ${height / 2})" text-anchor="middle">${esc(yLabel)}</text>` +
    `</svg><div class="legend">${legend}</div>`;
}

function table(headers, rows) {
  if (!rows.length) return `<p class="muted">${t("none_yet")}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

function tokenFromFragment(key) {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    localStorage.setItem(key, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname);
  }
  return localStorage.getItem(key);
}
