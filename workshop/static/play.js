// A participant's screen: its firm, the markets it trades in, its orders and results.
"use strict";

const $ = (id) => document.getElementById(id);
const gameId = location.pathname.split("/").pop();
const token = localStorage.getItem(`cgx.team.${gameId}`);
const state = { clock: null, team: null, markets: {}, selected: null, pollutant: null };

function market() { return state.markets[state.selected]; }

function pollutantOf(m) { return m ? m.product : state.pollutant; }

function render() {
  if (!state.team) return;
  const team = state.team;
  $("who").textContent = `${team.name || ""} · ${team.firm} · ${team.region}`;
  $("clock").textContent = clockText(state.clock);
  if (!state.selected || !state.markets[state.selected]) state.selected = team.markets[0] || null;
  state.pollutant = pollutantOf(market()) || (team.pollutants[0] || {}).pollutant;
  renderNotice();
  renderPosition();
  renderMac();
  renderMarket();
  renderOrders();
  renderTrades();
  renderCompliance();
  $("finance-card").hidden = !team.finance.available;
}

function renderNotice() {
  const status = state.clock.status;
  const text = status === "break" ? t("round_done") : status === "lobby" ? t("lobby")
    : status === "paused" ? t("paused") : status === "ended" ? t("game_over") : "";
  $("notice").hidden = !text;
  $("notice").innerHTML = esc(text) + (status === "ended" ? ` <a href="/debrief/${gameId}">${t("see_debrief")}</a>` : "");
  const trading = status === "open";
  $("buy").disabled = $("sell").disabled = !trading || !market();
}

function pollutantRow() {
  return state.team.pollutants.find((p) => p.pollutant === state.pollutant) || state.team.pollutants[0];
}

function renderPosition() {
  const team = state.team;
  const stat = (value, label) => `<div class="stat"><b>${value}</b><span>${label}</span></div>`;
  const cash = team.cash_yuan;
  let html = `<div class="stats">${stat(num(cash.available, 0), `${t("cash")} (${t("yuan")}) · ${t("available")}`)}` +
    stat(num(cash.locked, 0), `${t("cash")} · ${t("locked")}`) + `</div>`;
  team.pollutants.forEach((p) => {
    html += `<h3>${esc(p.pollutant)}</h3><div class="stats">` +
      stat(num(p.emissions_t), `${t("emissions")} (${t("t")})`) +
      stat(num(p.allocation_t), `${t("allocation")} (${t("t")})`) +
      stat(num(p.held_t), `${t("held")} (${t("t")})`) +
      stat(p.abatement_plan_t === null ? `${num(p.automatic_abatement_t)}*` : num(p.abatement_plan_t), `${t("abatement")} (${t("t")})`) +
      stat(`<span class="${p.need_t > 0 ? "sell-text" : ""}">${num(p.need_t)}</span>`, `${t("need")} (${t("t")})`) +
      stat(num(p.spare_t), `${t("spare")} (${t("t")})`) + `</div>`;
    html += table([t("holdings"), t("available"), t("locked"), t("pledged")],
      p.holdings.map((h) => [esc(h.symbol), num(h.available, 1), num(h.locked, 1), num(h.pledged, 1)]));
    if (p.abatement_plan_t === null) html += `<p class="muted">* ${t("automatic_plan")}</p>`;
  });
  $("position").innerHTML = html;
}

function renderMac() {
  const p = pollutantRow();
  if (!p) return;
  const w = 360, h = 210, pad = { l: 50, r: 10, t: 10, b: 30 };
  const xMax = Math.max(p.emissions_t, 1);
  const line = p.price_yuan_per_t === null ? null : p.price_yuan_per_t + p.tax_yuan_per_t;
  const yMax = Math.max(p.slope_yuan_per_t2 * xMax, line || 0) * 1.05;
  const sx = (x) => pad.l + (x / xMax) * (w - pad.l - pad.r);
  const sy = (y) => h - pad.b - (y / yMax) * (h - pad.t - pad.b);
  const chosen = p.abatement_plan_t === null ? p.automatic_abatement_t : p.abatement_plan_t;
  const cover = Math.max(p.emissions_t - p.held_t, 0);
  let svg = `<svg viewBox="0 0 ${w} ${h}" class="mac" role="img">` +
    `<polygon points="${sx(0)},${sy(0)} ${sx(chosen)},${sy(0)} ${sx(chosen)},${sy(p.slope_yuan_per_t2 * chosen)}" fill="#1f6f8b22"/>` +
    `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(xMax)}" y2="${sy(p.slope_yuan_per_t2 * xMax)}" stroke="#1f6f8b" stroke-width="2.5"/>` +
    `<line x1="${sx(chosen)}" x2="${sx(chosen)}" y1="${sy(0)}" y2="${pad.t}" stroke="#1b7f4b" stroke-dasharray="4 3"/>` +
    `<line x1="${sx(cover)}" x2="${sx(cover)}" y1="${sy(0)}" y2="${pad.t}" stroke="#c0392b" stroke-dasharray="2 3"/>`;
  if (line !== null) {
    svg += `<line x1="${pad.l}" x2="${w - pad.r}" y1="${sy(line)}" y2="${sy(line)}" stroke="#b9770e" stroke-dasharray="6 4"/>` +
      `<text x="${w - pad.r}" y="${sy(line) - 4}" text-anchor="end">${t("permit_price_tax")} ${num(line, 0)}</text>`;
  }
  svg += `<text x="${pad.l - 6}" y="${sy(yMax / 1.05) + 4}" text-anchor="end">${num(yMax / 1.05, 0)}</text>` +
    `<text x="${pad.l - 6}" y="${sy(0)}" text-anchor="end">0</text>` +
    `<text x="${sx(xMax)}" y="${h - 8}" text-anchor="end">${num(xMax)} ${t("t")}</text>` +
    `<text x="${(w + pad.l) / 2}" y="${h - 8}" text-anchor="middle">${t("abatement")} (${t("t")})</text></svg>`;
  $("mac").innerHTML = `<p class="muted">${esc(p.pollutant)}: ${t("yuan_t")}</p>` + svg +
    `<div class="stats"><div class="stat"><b>${num(chosen)}</b><span>${t("plan")} (${t("t")})</span></div>` +
    `<div class="stat"><b>${num(p.cost_at_plan_yuan, 0)}</b><span>${t("cost_at_plan")} (${t("yuan")})</span></div>` +
    `<div class="stat"><b>${num(p.mac_at_plan_yuan_per_t, 0)}</b><span>${t("mac_at_plan")} (${t("yuan_t")})</span></div>` +
    `<div class="stat"><b>${num(p.cost_of_next_t_yuan, 0)}</b><span>${t("next_t")} (${t("yuan")})</span></div>` +
    `<div class="stat"><b>${num(p.tax_yuan_per_t, 0)}</b><span>${t("tax")} (${t("yuan_t")})</span></div>` +
    `<div class="stat"><b>${num(p.penalty_yuan_per_t, 0)}</b><span>${t("penalty")} (${t("yuan")})</span></div></div>`;
  $("abatement").max = p.emissions_t;
  if (document.activeElement !== $("abatement")) $("abatement").placeholder = num(chosen);
}

function renderMarket() {
  const ids = state.team.markets;
  $("market-tabs").innerHTML = ids.map((id) =>
    `<button type="button" class="${id === state.selected ? "active" : ""}" data-market="${esc(id)}">${esc(id)}</button>`).join("");
  const m = market();
  if (!m) { $("quote").innerHTML = $("depth").innerHTML = ""; return; }
  const last = m.trades.length ? yuanPerT(m, m.trades[m.trades.length - 1].price_ticks) : null;
  const stat = (value, label) => `<div class="stat"><b>${value}</b><span>${label}</span></div>`;
  $("quote").innerHTML = stat(t(m.phase), t("phase")) + stat(num(last), `${t("last")} (${t("yuan_t")})`) +
    stat(num(yuanPerT(m, m.reference_ticks)), t("reference")) +
    stat(num(tonnes(m, m.volume_lots)), `${t("volume")} (${t("t")})`) +
    stat(m.band ? `${num(yuanPerT(m, m.band[0]))}–${num(yuanPerT(m, m.band[1]))}` : t("none"), t("band")) +
    (m.cross_border_quota_lots === null ? "" : stat(num(tonnes(m, m.cross_border_quota_lots)), t("quota_left")));
  const rows = [];
  const depth = Math.max(m.bids.length, m.asks.length);
  for (let k = 0; k < depth; k++) {
    const b = m.bids[k], a = m.asks[k];
    rows.push(`<tr><td class="bid" data-price="${b ? b[0] : ""}">${b ? num(tonnes(m, b[1])) : ""}</td>` +
      `<td class="bid" data-price="${b ? b[0] : ""}">${b ? num(yuanPerT(m, b[0])) : ""}</td>` +
      `<td class="ask" data-price="${a ? a[0] : ""}">${a ? num(yuanPerT(m, a[0])) : ""}</td>` +
      `<td class="ask" data-price="${a ? a[0] : ""}">${a ? num(tonnes(m, a[1])) : ""}</td></tr>`);
  }
  $("depth").innerHTML = `<table class="depth"><thead><tr><th>${t("bid")} (${t("t")})</th><th>${t("bid")}</th>` +
    `<th>${t("ask")}</th><th>${t("ask")} (${t("t")})</th></tr></thead><tbody>${rows.join("") ||
    `<tr><td colspan="4" class="muted">${t("none_yet")}</td></tr>`}</tbody></table>`;
  $("price").step = m.yuan_per_tick_per_t;
  $("quantity").step = m.lot_t;
}

function renderOrders() {
  $("orders").innerHTML = table([t("market"), "", t("price"), t("t"), ""],
    state.team.orders.map((o) => {
      const m = state.markets[o.market] || { yuan_per_tick_per_t: 0, lot_t: 0 };
      return [esc(o.market), `<span class="${o.side}-text">${t(o.side)}</span>`, num(yuanPerT(m, o.price_ticks)),
        num(tonnes(m, o.lots)), `<button type="button" class="secondary" data-cancel="${o.order_id}">${t("cancel")}</button>`];
    }));
  const m = market();
  $("market-trades").innerHTML = m ? table([t("day"), t("time"), t("price"), t("t"), ""],
    m.trades.slice(-12).reverse().map((tr) => [tr.day + 1, tr.time || "", num(yuanPerT(m, tr.price_ticks)),
      num(tonnes(m, tr.lots)), tr.mine ? `<span class="${tr.mine}-text">${t(tr.mine)}</span>` : ""])) : "";
}

function renderTrades() {
  $("my-trades").innerHTML = table([t("day"), t("market"), "", t("price"), t("t")],
    state.team.trades.slice().reverse().map((tr) => {
      const m = state.markets[tr.market] || { yuan_per_tick_per_t: 0.1, lot_t: 0.1 };
      return [tr.day + 1, esc(tr.market), `<span class="${tr.mine}-text">${t(tr.mine)}</span>`,
        num(yuanPerT(m, tr.price_ticks)), num(tonnes(m, tr.lots))];
    }));
}

function renderCompliance() {
  $("compliance").innerHTML = table(
    [t("year"), t("pollutant"), t("emissions"), t("abatement"), t("surrendered"), t("shortfall"),
      t("abatement_cost"), t("env_tax"), t("penalty_paid"), ""],
    state.team.compliance.map((r) => [r.year, esc(r.pollutant), num(r.emissions_t), num(r.abatement_t),
      num(r.surrendered_t), num(r.shortfall_t), num(r.abatement_cost_yuan, 0), num(r.env_tax_yuan, 0),
      num(r.penalty_yuan, 0), r.compliant ? t("compliant") : `<span class="sell-text">${t("not_compliant")}</span>`]));
}

async function placeOrder(side) {
  const m = market();
  const lots = Math.round(Number($("quantity").value) / m.lot_t);
  const price = Math.round(Number($("price").value) / m.yuan_per_tick_per_t);
  try {
    const ack = await api("POST", `/api/games/${gameId}/orders`,
      { market: m.market, side, lots, price_ticks: price, tif: $("tif").value }, token);
    flash($("message"), ack.filled_lots ? `${t("order_traded")}: ${num(tonnes(m, ack.filled_lots))} ${t("t")}`
      : t("order_placed"));
  } catch (error) {
    flash($("message"), error.message, "error");
  }
}

async function cancelOrder(orderId) {
  try {
    await api("DELETE", `/api/games/${gameId}/orders/${orderId}`, undefined, token);
    flash($("message"), t("cancelled"));
  } catch (error) {
    flash($("message"), error.message, "error");
  }
}

async function setAbatement(value) {
  try {
    await api("POST", `/api/games/${gameId}/abatement`, { pollutant: state.pollutant, abatement_t: value }, token);
    $("abatement").value = "";
    flash($("message"), t("saved"));
  } catch (error) {
    flash($("message"), error.message, "error");
  }
}

function onMessage(message) {
  if (message.type === "state") {
    state.clock = message.clock;
    state.team = message.team;
    state.markets = Object.fromEntries(message.markets.map((m) => [m.market, m]));
  } else if (message.type === "update") {
    state.clock = message.clock;
    (message.markets || []).forEach((m) => { state.markets[m.market] = m; });
    if (message.team) state.team = message.team;
    if (message.team) {
      const listed = new Set(message.team.markets);
      Object.keys(state.markets).forEach((id) => { if (!listed.has(id)) delete state.markets[id]; });
    }
  } else if (message.type === "error") {
    flash($("message"), errorText(message), "error");
    return;
  }
  render();
}

function start() {
  setupLanguageToggle(render);
  if (!token) { location.href = "/"; return; }
  $("order").addEventListener("submit", (event) => {
    event.preventDefault();
    placeOrder(event.submitter ? event.submitter.dataset.side : "buy");
  });
  $("abate").addEventListener("submit", (event) => { event.preventDefault(); setAbatement(Number($("abatement").value)); });
  $("automatic").addEventListener("click", () => setAbatement(null));
  $("market-tabs").addEventListener("click", (event) => {
    const id = event.target.dataset.market;
    if (id) { state.selected = id; render(); }
  });
  $("depth").addEventListener("click", (event) => {
    const ticks = Number(event.target.dataset.price);
    if (ticks) $("price").value = yuanPerT(market(), ticks).toFixed(1);
  });
  $("orders").addEventListener("click", (event) => {
    if (event.target.dataset.cancel) cancelOrder(Number(event.target.dataset.cancel));
  });
  live(gameId, token, onMessage, (up) => { $("connection").textContent = up ? t("connected") : t("disconnected"); });
}

start();
