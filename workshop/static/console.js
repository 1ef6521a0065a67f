// The facilitator's console: round control and the live overview of the whole market.
"use strict";

const $ = (id) => document.getElementById(id);
const gameId = location.pathname.split("/").pop();
const token = tokenFromFragment(`cgx.host.${gameId}`);
let view = null;

function render() {
  if (!view) return;
  const c = view.clock;
  $("title").textContent = view.title ? `· ${view.title}` : "";
  $("clock").textContent = clockText(c);
  $("open_round").disabled = !(c.status === "lobby" || c.status === "break");
  $("pause").disabled = c.status !== "open";
  $("resume").disabled = c.status !== "paused";
  $("end_round").disabled = !(c.status === "open" || c.status === "paused");
  $("end_game").disabled = c.status === "ended";
  $("debrief-link").hidden = false;
  $("debrief-link").href = `/debrief/${gameId}`;
  const yearEnd = (Math.floor(c.day / c.days_per_year) + 1) * c.days_per_year;
  $("hint").textContent = `${t("true_up_at")} ${yearEnd} · ${t("round")} ${c.round_days[0] + 1}–${c.round_days[1]}`;
  renderMarkets();
  renderTeams();
  renderFlows();
  renderTrades();
  renderChart();
}

function renderMarkets() {
  $("markets").innerHTML = table(
    [t("market"), t("phase"), t("last"), t("reference"), t("equilibrium"), t("bid"), t("ask"),
      `${t("volume")} (${t("t")})`],
    view.markets.map((m) => {
      const last = m.trades.length ? yuanPerT(m, m.trades[m.trades.length - 1].price_ticks) : null;
      return [esc(m.market), t(m.phase), num(last), num(yuanPerT(m, m.reference_ticks)),
        num(m.equilibrium_yuan_per_t), m.bids.length ? num(yuanPerT(m, m.bids[0][0])) : t("none"),
        m.asks.length ? num(yuanPerT(m, m.asks[0][0])) : t("none"), num(tonnes(m, m.volume_lots))];
    }));
}

function renderTeams() {
  $("join-url").textContent = `${location.origin}/`;
  $("teams").innerHTML = table(
    [t("team"), t("code"), t("firm"), t("region"), t("cash"), t("pollutant"), t("emissions"),
      t("allocation"), t("held"), t("abatement"), t("need"), t("orders"), t("trades"), t("compliance")],
    view.teams.map((team) => {
      const p = team.pollutants.map((x) => x.pollutant).join("<br>");
      const col = (key, digits = 1) => team.pollutants.map((x) => num(x[key], digits)).join("<br>");
      const plan = team.pollutants.map((x) => x.abatement_plan_t === null ? t("automatic") : num(x.abatement_plan_t)).join("<br>");
      const compliance = team.compliance.map((r) => `${r.year} ${r.pollutant}: ${r.compliant ? t("compliant") : t("not_compliant")}`).join("<br>");
      return [team.name ? esc(team.name) : `<span class="muted">${t("not_joined")}</span>`,
        `<span class="code">${esc(team.code)}</span>`, esc(team.firm), esc(team.region),
        num(team.cash_yuan, 0), p, col("emissions_t"), col("allocation_t"), col("held_t"), plan,
        col("need_t"), team.open_orders, team.trades, compliance || t("none")];
    }));
}

function renderFlows() {
  $("flows").innerHTML = table([t("year"), t("pollutant"), t("from"), t("to"), t("lots"), t("value")],
    view.cross_border.map((f) => [f.year, esc(f.product), esc(f.from), esc(f.to), f.lots, num(f.value_yuan, 0)]));
}

function renderTrades() {
  const unit = view.markets[0] || { yuan_per_tick_per_t: 0, lot_t: 0 };
  const rows = view.recent_trades.slice().reverse();
  $("trades").innerHTML = table([t("day"), t("time"), t("market"), t("price"), t("t"), t("bought"), t("sold")],
    rows.map((tr) => {
      const m = view.markets.find((x) => x.market === tr.market) || unit;
      return [tr.day + 1, tr.time || "", esc(tr.market), num(yuanPerT(m, tr.price_ticks)),
        num(tonnes(m, tr.lots)), esc(tr.buyer), esc(tr.seller)];
    }));
}

function renderChart() {
  const byMarket = {};
  view.price_path.forEach((row) => {
    (byMarket[row.market] = byMarket[row.market] || []).push([row.day + 1, row.close_yuan_per_t ?? row.reference_yuan_per_t]);
  });
  const series = Object.entries(byMarket).map(([market, points]) => ({ label: market, points }));
  const lastDay = view.clock.day + 1;
  view.markets.forEach((m) => {
    if (m.trades.length) {
      const s = series.find((x) => x.label === m.market);
      const point = [lastDay, yuanPerT(m, m.trades[m.trades.length - 1].price_ticks)];
      if (s) s.points.push(point); else series.push({ label: m.market, points: [point] });
    }
    if (m.equilibrium_yuan_per_t !== null && m.equilibrium_yuan_per_t !== undefined) {
      const first = (Math.floor(view.clock.day / view.clock.days_per_year)) * view.clock.days_per_year + 1;
      series.push({ label: `${m.market} ${t("equilibrium")}`, dashed: true, color: "#333",
        points: [[first, m.equilibrium_yuan_per_t], [Math.max(lastDay, first + 1), m.equilibrium_yuan_per_t]] });
    }
  });
  $("chart").innerHTML = lineChart(series, { xLabel: t("day"), yLabel: t("yuan_t") });
}

async function control(action) {
  if (action === "end_game" && !confirm(t("confirm_end"))) return;
  try {
    await api("POST", `/api/games/${gameId}/control`, { action }, token);
  } catch (error) {
    flash($("message"), error.message, "error");
  }
}

async function start() {
  setupLanguageToggle(render);
  document.querySelectorAll("[data-action]").forEach((b) => b.addEventListener("click", () => control(b.dataset.action)));
  view = await api("GET", `/api/games/${gameId}/overview`, undefined, token).catch((error) => {
    flash($("message"), error.message, "error");
    return null;
  });
  render();
  live(gameId, token, (message) => {
    if (message.type === "overview") { view = message; render(); }
    if (message.type === "error") flash($("message"), errorText(message), "error");
  }, (up) => { $("connection").textContent = up ? t("connected") : t("disconnected"); });
}

start();
