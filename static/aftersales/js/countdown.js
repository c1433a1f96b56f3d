// Live countdowns for SLA deadlines: every element with data-due shows the time left (or late), coloured.
(function () {
  var lang = document.documentElement.lang || "zh-hans";
  var zh = lang.indexOf("zh") === 0;
  function format(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    var text = (days ? days + (zh ? "天" : "d ") : "") + (days || hours ? hours + (zh ? "小时" : "h ") : "") +
      mins + (zh ? "分" : "m");
    return ms >= 0 ? (zh ? "剩余 " : "") + text + (zh ? "" : " left") : (zh ? "超时 " : "") + text + (zh ? "" : " late");
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (element) {
      var due = Date.parse(element.getAttribute("data-due"));
      if (isNaN(due)) return;
      var left = due - now;
      var label = element.querySelector(".left");
      if (label) label.textContent = format(left);
      element.classList.toggle("overdue", left < 0);
      element.classList.toggle("soon", left >= 0 && left < 3600000);
      element.classList.toggle("fine", left >= 3600000);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
