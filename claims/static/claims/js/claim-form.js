// New claim: looking up a serial shows its coverage on the fault date and the 三包 rules for the fault.
(function () {
  var button = document.getElementById("claim-lookup");
  if (!button) return;
  var panel = document.getElementById("claim-unit-panel");
  var result = document.getElementById("claim-unit-result");
  function value(id) { var field = document.getElementById(id); return field ? field.value.trim() : ""; }
  function csrf() { return document.querySelector("input[name=csrfmiddlewaretoken]").value; }
  function row(label, text, testid) {
    var line = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = label;
    line.appendChild(strong);
    line.appendChild(document.createTextNode(" " + text));
    if (testid) line.setAttribute("data-testid", testid);
    return line;
  }
  button.addEventListener("click", function () {
    var serial = value("id_unit");
    result.textContent = "";
    if (!serial) return;
    var params = new URLSearchParams();
    if (value("id_fault_date")) params.set("on", value("id_fault_date"));
    if (value("id_usage")) params.set("usage", value("id_usage"));
    if (value("id_component")) params.set("component", value("id_component"));
    fetch("/api/v1/units/" + encodeURIComponent(serial) + "/coverage/?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (body) { return [response.status, body]; }); })
      .then(function (answer) {
        var status = answer[0], coverage = answer[1];
        if (status !== 200) { result.appendChild(row("", panel.dataset.unknownLabel, "unknown-unit")); return; }
        var verdict = document.createElement("p");
        verdict.className = "verdict " + (coverage.covered ? "ok" : "bad");
        verdict.setAttribute("data-testid", coverage.covered ? "covered" : "not-covered");
        verdict.textContent = coverage.covered ? panel.dataset.coveredLabel : panel.dataset.notCoveredLabel;
        result.appendChild(verdict);
        if (coverage.reason) result.appendChild(row("", coverage.reason.message));
        coverage.periods.forEach(function (period) {
          result.appendChild(row(period.label, period.start + " – " + period.end + (period.active ? " ✓" : "")));
        });
        var body = { unit: serial, claim_date: coverage.on, usage: coverage.usage,
                     fault: { problem_code: value("id_problem_code"), component: value("id_component") } };
        return fetch("/api/v1/entitlement/evaluate/", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
          body: JSON.stringify(body)
        }).then(function (response) { return response.json(); }).then(function (evaluation) {
          (evaluation.results || []).forEach(function (rule) {
            result.appendChild(row(rule.rule + " " + rule.options.join(" / "), rule.explanation, "entitlement"));
          });
        });
      });
  });
})();
