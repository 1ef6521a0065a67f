// Setting up a game: scenario, settings, and the firms the teams play.
"use strict";

const $ = (id) => document.getElementById(id);

function scenarioRequest() {
  const overrides = $("overrides").value.split("\n").map((s) => s.trim()).filter(Boolean);
  const seed = $("seed").value === "" ? null : Number($("seed").value);
  return { scenario: { name: $("scenario").value }, overrides, seed };
}

// Ask the server for the scenario's firms and a choice of firms for the number of teams.
async function loadFirms() {
  try {
    const preview = await api("POST", "/api/preview",
      { ...scenarioRequest(), teams: Number($("teams").value) || 1 });
    if ($("seed").value === "") $("seed").value = preview.seed;
    $("firms").innerHTML = preview.firms.map((f) => {
      const emissions = Object.entries(f.emissions_t).map(([p, v]) => `${p} ${num(v, 0)} t`).join(", ");
      const checked = preview.suggested.includes(f.id) ? "checked" : "";
      return `<label><input type="checkbox" value="${esc(f.id)}" ${checked}>` +
        `<span>${esc(f.id)} · ${esc(f.region)} · ${esc(emissions)}</span></label>`;
    }).join("");
  } catch (error) {
    flash($("message"), error.message, "error");
  }
}

async function create(event) {
  event.preventDefault();
  const chosen = [...$("firms").querySelectorAll("input:checked")].map((i) => i.value);
  const body = {
    ...scenarioRequest(), title: $("title").value.trim(),
    days_per_round: Number($("days").value), seconds_per_day: Number($("pace").value),
    break_seconds: $("break").value === "" ? null : Number($("break").value),
  };
  if (chosen.length) body.firms = chosen; else body.teams = Number($("teams").value) || 1;
  try {
    const game = await api("POST", "/api/games", body);
    localStorage.setItem(`cgx.host.${game.game_id}`, game.facilitator_token);
    location.href = `/host/${game.game_id}#token=${encodeURIComponent(game.facilitator_token)}`;
  } catch (error) {
    flash($("message"), error.message, "error");
  }
}

async function start() {
  setupLanguageToggle();
  const { scenarios } = await api("GET", "/api/scenarios");
  $("scenario").innerHTML = scenarios.map((s) =>
    `<option value="${esc(s.name)}" ${s.name === "tiny" ? "selected" : ""}>${esc(s.name)} — ${esc(s.description)}</option>`).join("");
  $("scenario").addEventListener("change", () => { $("seed").value = ""; loadFirms(); });
  $("suggest").addEventListener("click", loadFirms);
  $("teams").addEventListener("change", loadFirms);
  $("overrides").addEventListener("change", loadFirms);
  $("create").addEventListener("submit", create);
  await loadFirms();
}

start();
