// Optional niceties for the resident portal; every flow works without them.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var el = document.getElementById(btn.getAttribute("data-copy"));
      if (!el) return;
      var text = el.textContent.trim();
      var done = function () { btn.textContent = "已复制"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () {});
      } else {
        var r = document.createRange(); r.selectNodeContents(el);
        var s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
        try { document.execCommand("copy"); done(); } catch (e) {}
      }
    });
  });
  // A form sent back: its error summary takes the focus (autofocus does it
  // too; this is for browsers that skip autofocus on a non-control).
  var summary = document.querySelector("[data-focus]");
  if (summary && document.activeElement !== summary) summary.focus();
  // The receipt's QR code opens /track#code=XXXX-…: the code is in the
  // fragment, which the browser never sends. Fill the field, then drop the
  // fragment from the address bar and the history.
  var m = /^#code=([0-9A-Za-z-]{16,19})$/.exec(location.hash);
  var field = document.getElementById("code");
  if (m && field && field.tagName === "INPUT") {
    field.value = m[1].toUpperCase();
    if (history.replaceState) history.replaceState(null, "", location.pathname + location.search);
    field.focus();
  }
  document.querySelectorAll("[data-print]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () { window.print(); });
  });
})();
