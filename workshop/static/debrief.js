// The debrief: costs against benchmarks, prices against the equilibrium, who gained.
"use strict";

const $ = (id) => document.getElementById(id);
const gameId = location.pathname.split("/").pop();
const token = localStorage.getItem(`cgx.host.${gameId}`) || localStorage.getItem(`cgx.team.${gameId}`);
let data = null;

function render() {
  if (!data) return;
  $("title").textContent = data.title ? `· ${data.title}` : "";
  const byMarket = {};
  data.price_path.forEach((r) => {
    (byMarket[r.market] = byMarket[r.market] || []).push([r.day + 1, r.close_yuan_per_t ?? r.reference_yuan_per_t]);
  });
  const series = Object.entries(byMarket).map(([label, points]) => ({ label, points }));
  data.equilibrium.forEach((r) => {
    const first = (r.year - data.start_year) * data.days_per_year + 1;
    series.push({ label: `${r.pollutant}@${r.zone} ${r.year} ${t("equilibrium")}`, dashed: true,
      color: "#333", points: [[first, r.equilibrium_yuan_per_t], [first + data.days_per_year - 1, r.equilibrium_yuan_per_t]] });
  });
  $("prices").innerHTML = lineChart(series, { xLabel: t("day"), yLabel: t("yuan_t") });
  $("team-chart").innerHTML = teamBars(data.teams);
  $("teams").innerHTML = data.teams.length ? table(
    [t("team"), t("firm"), t("region"), t("year"), t("pollutant"), t("abatement"), t("bought"), t("sold"),
      t("cost"), t("benchmark"), t("without_trade"), t("gain")],
    data.teams.map((r) => [esc(r.team), esc(r.firm), esc(r.region), r.year, esc(r.pollutant), num(r.abatement_t),
      num(r.bought_t), num(r.sold_t), num(r.cost_yuan, 0), num(r.benchmark_cost_yuan, 0),
      num(r.no_trade_cost_yuan, 0), num(r.gain_from_trade_yuan, 0)])) : `<p class="muted">${t("no_compliance")}</p>`;
  $("costs").innerHTML = table(
    [t("year"), t("pollutant"), t("actual_cost"), t("design_cost"), t("autarky_cost"), t("integrated_cost"),
      t("least_cost"), t("cross_gain")],
    data.costs.map((r) => [r.year, esc(r.pollutant), num(r.actual_cost_yuan, 0), num(r.design_cost_yuan, 0),
      num(r.autarky_cost_yuan, 0), num(r.integrated_cost_yuan, 0), num(r.least_cost_yuan, 0),
      num(r.cross_border_gain_yuan, 0)]));
  $("regions").innerHTML = table([t("year"), t("pollutant"), t("region"), t("gain"), t("paid_rights"), t("abatement_cost")],
    data.regions.map((r) => [r.year, esc(r.pollutant), esc(r.region), num(r.gain_from_trade_yuan, 0),
      num(r.net_trade_yuan, 0), num(r.abatement_cost_yuan, 0)]));
  $("flows").innerHTML = table([t("year"), t("pollutant"), t("from"), t("to"), t("lots"), t("value")],
    data.cross_border.map((f) => [f.year, esc(f.product), esc(f.from), esc(f.to), f.lots, num(f.value_yuan, 0)]));
}

function teamBars(rows) {
  if (!rows.length) return "";
  const max = Math.max(...rows.flatMap((r) => [Math.abs(r.cost_yuan), Math.abs(r.benchmark_cost_yuan)]), 1);
  const w = 640, rowH = 30, label = 170, h = rows.length * rowH + 10;
  const sx = (v) => (Math.max(v, 0) / max) * (w - label - 70);
  const bars = rows.map((r, k) => {
    const y = 5 + k * rowH;
    return `<text x="${label - 6}" y="${y + 17}" text-anchor="end">${esc(r.team)} ${r.year} ${esc(r.pollutant)}</text>` +
      `<rect x="${label}" y="${y + 3}" width="${sx(r.cost_yuan)}" height="11" fill="#1f6f8b"/>` +
      `<rect x="${label}" y="${y + 15}" width="${sx(r.benchmark_cost_yuan)}" height="11" fill="#edae49"/>` +
      `<text x="${label + sx(Math.max(r.cost_yuan, r.benchmark_cost_yuan)) + 4}" y="${y + 17}">${num(r.cost_yuan - r.benchmark_cost_yuan, 0)}</text>`;
  }).join("");
  return `<svg viewBox="0 0 ${w} ${h}" class="chart">${bars}</svg><div class="legend">` +
    `<span class="key" style="--c:#1f6f8b">${t("cost")}</span><span class="key" style="--c:#edae49">${t("benchmark")}</span></div>`;
}

async function download() {
  const response = await fetch(`/api/games/${gameId}/report.html`, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) { flash($("message"), errorText(await response.json().catch(() => ({}))), "error"); return; }
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: `debrief-${gameId}.html` });
  document.body.append(link);
  link.click();
  link.remove();
}

async function start() {
  setupLanguageToggle(render);
  $("download").addEventListener("click", download);
  try {
    data = await api("GET", `/api/games/${gameId}/debrief`, undefined, token);
    render();
  } catch (error) {
    flash($("message"), error.message, "error");
  }
}

start();
