// The case page: after an htmx answer (or a page the server sent back with errors) the first form with an
// error is opened and scrolled into view and its first wrong field gets the focus; links in the header open
// the form they name.
(function () {
  function openAround(element) {
    for (var node = element; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
  }
  function showErrors(root) {
    var error = root.querySelector(".field.invalid, .form-errors, [data-testid=action-error]");
    if (!error) return;
    openAround(error);
    var form = error.closest("form") || error;
    form.scrollIntoView({ block: "center" });
    var input = error.querySelector("input:not([type=hidden]), select, textarea") ||
      form.querySelector(".field.invalid input, .field.invalid select, .field.invalid textarea");
    if (input) input.focus({ preventScroll: true });
  }
  function openTarget(id) {
    var target = document.getElementById(id);
    if (!target) return;
    openAround(target);
    target.scrollIntoView({ block: "start" });
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-open]");
    if (!link) return;
    event.preventDefault();
    openTarget(link.getAttribute("data-open"));
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var root = document.getElementById("case");
    if (root) showErrors(root);
  });
  // A refusal the page cannot show in place (403, 404, 500, no network): said in the header, the form kept.
  function failed(event) {
    var root = document.getElementById("case");
    if (!root) return;
    var head = root.querySelector("[data-testid=case-head]");
    var note = head.querySelector("[data-testid=request-failed]");
    if (!note) {
      note = document.createElement("p");
      note.className = "form-errors";
      note.setAttribute("role", "alert");
      note.setAttribute("data-testid", "request-failed");
      head.appendChild(note);
    }
    note.textContent = root.getAttribute("data-failed");
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("case");
    if (root) showErrors(root);
    if (location.hash.length > 1) openTarget(location.hash.slice(1));
  });
})();
