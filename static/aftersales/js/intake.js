// Intake: looking up a serial shows coverage and the statutory entitlement before the case is opened.
(function () {
  var button = document.getElementById("lookup");
  if (!button) return;
  var panel = document.getElementById("unit-panel");
  var result = document.getElementById("unit-result");
  function csrf() { return document.querySelector("input[name=csrfmiddlewaretoken]").value; }
  function row(label, value) {
    var line = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = label;
    line.appendChild(strong);
    line.appendChild(document.createTextNode(" " + value));
    return line;
  }
  button.addEventListener("click", function () {
    var serial = document.getElementById("id_serial").value.trim();
    result.textContent = "";
    if (!serial) return;
    fetch("/api/v1/units/" + encodeURIComponent(serial) + "/coverage/", { credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (body) { return [response.status, body]; }); })
      .then(function (answer) {
        var status = answer[0], coverage = answer[1];
        if (status !== 200) { result.appendChild(row("", panel.dataset.unknownLabel)); return; }
        var verdict = document.createElement("p");
        verdict.className = "verdict " + (coverage.covered ? "ok" : "bad");
        verdict.setAttribute("data-testid", coverage.covered ? "covered" : "not-covered");
        verdict.textContent = coverage.covered ? panel.dataset.coveredLabel : panel.dataset.notCoveredLabel;
        result.appendChild(verdict);
        if (coverage.reason) result.appendChild(row("", coverage.reason.message));
        if (coverage.basis) result.appendChild(row(coverage.basis.policy.code, coverage.basis.regime + " · " + coverage.basis.start_date));
        coverage.periods.forEach(function (period) {
          result.appendChild(row(period.label, period.start + " – " + period.end + (period.active ? " ✓" : "")));
        });
        return fetch("/api/v1/entitlement/evaluate/", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
          body: JSON.stringify({ unit: serial, claim_date: coverage.on, usage: coverage.usage, fault: {} })
        }).then(function (response) { return response.json(); }).then(function (evaluation) {
          (evaluation.results || []).forEach(function (rule) {
            var line = row(rule.rule + " " + rule.options.join(" / "), rule.explanation);
            line.setAttribute("data-testid", "entitlement");
            result.appendChild(line);
          });
        });
      });
  });
})();
