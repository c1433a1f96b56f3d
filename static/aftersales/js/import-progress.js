// Polls the import's API resource every two seconds and updates the page until the job has finished.
(function () {
  var box = document.getElementById("import-progress");
  if (!box) return;
  function done(status) { return status === "done" || status === "failed"; }
  function update(job) {
    box.querySelectorAll("[data-field]").forEach(function (element) {
      var name = element.getAttribute("data-field");
      if (name === "progress") { element.value = job.progress || 0; return; }
      if (name === "status") { element.textContent = job.status; return; }
      element.textContent = job[name] === null ? "?" : job[name];
    });
    box.setAttribute("data-status", job.status);
    if (done(job.status)) { window.location.reload(); }
  }
  function poll() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) { update(job); if (!done(job.status)) setTimeout(poll, 2000); })
      .catch(function () { setTimeout(poll, 5000); });
  }
  if (!done(box.getAttribute("data-status"))) setTimeout(poll, 1000);
})();
