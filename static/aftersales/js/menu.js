// The phone header: the navigation and tools fold into one menu button.
(function () {
  var header = document.getElementById("topbar");
  if (!header) return;
  var button = header.querySelector(".menu-toggle");
  if (!button) return;
  button.addEventListener("click", function () {
    var open = header.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
