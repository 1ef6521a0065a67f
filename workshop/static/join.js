// The join page: a team enters its code and name and goes to its screen.
setupLanguageToggle();
const code = new URLSearchParams(location.search).get("code");
if (code) document.getElementById("code").value = code;
document.getElementById("join").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const joined = await api("POST", "/api/join", {
      code: document.getElementById("code").value.trim(),
      team_name: document.getElementById("team").value.trim(),
    });
    localStorage.setItem(`cgx.team.${joined.game_id}`, joined.token);
    location.href = `/play/${joined.game_id}`;
  } catch (error) {
    flash(document.getElementById("message"), error.message, "error");
  }
});
