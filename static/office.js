// Optional niceties for the back office; every page works without them.
(function () {
  "use strict";
  // Print buttons ([data-print], or a button inside one) are hidden until
  // this script shows them: the CSP allows no javascript: links and no
  // inline handlers, and without a script there is the browser's own print.
  document.querySelectorAll("[data-print]").forEach(function (el) {
    el.hidden = false;
    var btn = el.matches("button") ? el : el.querySelector("button");
    if (btn) btn.addEventListener("click", function () { window.print(); });
  });
})();
