// Gatehouse dashboard: copy buttons. Everything works without this file;
// it only adds a one-click copy to elements marked data-copy="#id".
"use strict";
document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("[data-copy]");
  if (!btn || !navigator.clipboard) { return; }
  var src = document.querySelector(btn.getAttribute("data-copy"));
  if (!src) { return; }
  navigator.clipboard.writeText(src.textContent.trim()).then(function () {
    var label = btn.textContent;
    btn.textContent = "Copied";
    setTimeout(function () { btn.textContent = label; }, 1500);
  });
});
