// Intake: the serial is looked up as it is typed (coverage, the customer, the statutory entitlement); the
// caller is filled from the unit's customer (still editable); the entitlement is checked again as the fault
// is described (the fault facts are ticked from the description's words, and can be corrected).
(function () {
  var form = document.getElementById("intake-form");
  if (!form) return;
  var button = document.getElementById("lookup");
  var panel = document.getElementById("unit-panel");
  var result = document.getElementById("unit-result");
  var entitlement = document.getElementById("entitlement-result");
  var serialInput = document.getElementById("id_serial");
  var description = document.getElementById("id_description");
  var reporter = document.getElementById("id_reporter_name");
  var phone = document.getElementById("id_contact_phone");
  var safety = document.getElementById("fault-serious-safety");
  var failures = Array.prototype.slice.call(form.querySelectorAll("input[data-failure]"));
  var coverage = null, lookedUp = "", lookups = 0, evaluations = 0;
  // Words of a description that name a car's Art. 23 failure (tickable by hand as well).
  var WORDS = {
    steering: ["转向", "方向盘", "steering"],
    brakes: ["制动", "刹车", "brake"],
    body_cracking: ["车身开裂", "开裂", "crack"],
    fuel_leak: ["漏油", "燃油泄漏", "fuel leak"],
    battery_fire: ["起火", "自燃", "冒烟", "fire"]
  };
  var SAFETY_WORDS = ["安全", "起火", "自燃", "失灵", "safety", "fire"];
  var autoTicked = {};
  var labelsNode = document.getElementById("intake-labels");
  var LABELS = labelsNode ? JSON.parse(labelsNode.textContent) : { remedies: {}, regimes: {} };
  function remedy(code) { return LABELS.remedies[code] || code; }
  function csrf() { return form.querySelector("input[name=csrfmiddlewaretoken]").value; }
  function row(label, value) {
    var line = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = label;
    line.appendChild(strong);
    line.appendChild(document.createTextNode(" " + value));
    return line;
  }
  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }
  function fillCaller(customer) {
    // Fill what is empty or was filled by the previous lookup; what the agent typed stays.
    if (!customer) return;
    [[reporter, customer.name], [phone, customer.phone]].forEach(function (pair) {
      var input = pair[0], value = pair[1] || "";
      if (!input || !value) return;
      if (!input.value.trim() || input.dataset.filled === input.value) {
        input.value = value;
        input.dataset.filled = value;
      }
    });
  }
  function faultFacts() {
    var text = (description.value || "").toLowerCase();
    failures.forEach(function (box) {
      var code = box.dataset.failure;
      var said = WORDS[code].some(function (word) { return text.indexOf(word.toLowerCase()) !== -1; });
      if (said && !box.checked) { box.checked = true; autoTicked[code] = true; }
      else if (!said && autoTicked[code]) { box.checked = false; delete autoTicked[code]; }
    });
    var unsafe = SAFETY_WORDS.some(function (word) { return text.indexOf(word) !== -1; });
    if (unsafe && !safety.checked) { safety.checked = true; safety.dataset.auto = "1"; }
    else if (!unsafe && safety.dataset.auto) { safety.checked = false; delete safety.dataset.auto; }
    return {
      serious_safety: safety.checked,
      failure_types: failures.filter(function (box) { return box.checked; }).map(function (box) { return box.dataset.failure; })
    };
  }
  function evaluate() {
    if (!coverage || !lookedUp) return;
    var fault = faultFacts();
    var mine = ++evaluations;
    fetch("/api/v1/entitlement/evaluate/", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ unit: lookedUp, claim_date: coverage.on, usage: coverage.usage, fault: fault })
    }).then(function (response) { return response.json(); }).then(function (answer) {
      if (mine !== evaluations) return;  // a newer check is on its way
      entitlement.textContent = "";
      entitlement.dataset.failures = fault.failure_types.join(",");
      (answer.results || []).forEach(function (rule) {
        var line = row(rule.rule + " " + rule.options.map(remedy).join(" / "), rule.explanation);
        line.setAttribute("data-testid", "entitlement");
        entitlement.appendChild(line);
      });
    });
  }
  function lookup() {
    var serial = serialInput.value.trim();
    if (!serial || serial.length < 5) { result.textContent = ""; entitlement.textContent = ""; coverage = null; lookedUp = ""; return; }
    var mine = ++lookups;
    var path = "/api/v1/units/" + encodeURIComponent(serial) + "/";
    Promise.all([
      fetch(path + "coverage/", { credentials: "same-origin" }).then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); }),
      fetch(path, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
    ]).then(function (answers) {
      if (mine !== lookups) return;
      var status = answers[0][0], found = answers[0][1], unit = answers[1];
      result.textContent = "";
      entitlement.textContent = "";
      if (status !== 200) {
        coverage = null; lookedUp = "";
        var unknown = row("", panel.dataset.unknownLabel);
        unknown.setAttribute("data-testid", "unit-unknown");
        result.appendChild(unknown);
        return;
      }
      coverage = found; lookedUp = serial;
      var verdict = document.createElement("p");
      verdict.className = "verdict " + (found.covered ? "ok" : "bad");
      verdict.setAttribute("data-testid", found.covered ? "covered" : "not-covered");
      verdict.textContent = found.covered ? panel.dataset.coveredLabel : panel.dataset.notCoveredLabel;
      result.appendChild(verdict);
      if (unit && unit.customer) {
        var who = row(panel.dataset.customerLabel, unit.customer.name + (unit.customer.phone ? " · " + unit.customer.phone : ""));
        who.setAttribute("data-testid", "unit-customer");
        result.appendChild(who);
        fillCaller(unit.customer);
      }
      if (found.reason) result.appendChild(row("", found.reason.message));
      if (found.basis) result.appendChild(row(found.basis.policy.code, (LABELS.regimes[found.basis.regime] || found.basis.regime) + " · " + found.basis.start_date));
      found.periods.forEach(function (period) {
        result.appendChild(row(period.label, period.start + " – " + period.end + (period.active ? " ✓" : "")));
      });
      evaluate();
    });
  }
  serialInput.addEventListener("input", debounce(lookup, 400));
  if (button) button.addEventListener("click", lookup);
  description.addEventListener("input", debounce(evaluate, 500));
  safety.addEventListener("change", function () { delete safety.dataset.auto; evaluate(); });
  failures.forEach(function (box) { box.addEventListener("change", function () { delete autoTicked[box.dataset.failure]; evaluate(); }); });
  if (serialInput.value.trim()) lookup();
})();
