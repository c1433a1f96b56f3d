// A signature pad: draw with a finger, pen or mouse; the drawing is sent as a PNG data URL.
(function () {
  var canvas = document.getElementById("signature-pad");
  if (!canvas) return;
  var form = document.getElementById("sign-form");
  var field = form.querySelector("input[name=signature]");
  var context = canvas.getContext("2d");
  var drawing = false, drawn = false;
  context.lineWidth = 2.5;
  context.lineCap = "round";
  context.strokeStyle = "#111";
  function point(event) {
    var box = canvas.getBoundingClientRect();
    return { x: (event.clientX - box.left) * canvas.width / box.width, y: (event.clientY - box.top) * canvas.height / box.height };
  }
  canvas.addEventListener("pointerdown", function (event) {
    drawing = true; canvas.setPointerCapture(event.pointerId);
    var p = point(event); context.beginPath(); context.moveTo(p.x, p.y);
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    var p = point(event); context.lineTo(p.x, p.y); context.stroke(); drawn = true;
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });
  document.getElementById("clear-signature").addEventListener("click", function () {
    context.clearRect(0, 0, canvas.width, canvas.height); drawn = false; field.value = "";
  });
  form.addEventListener("submit", function () {
    field.value = drawn ? canvas.toDataURL("image/png") : "";
  });
})();
