// credfolio wallet and badge pages: "Copy link" and "Print" buttons (progressive enhancement; the
// buttons stay hidden without JavaScript). No inline script: the pages' CSP allows only this site's files.
(function () {
  "use strict";
  document.querySelectorAll("[data-cf-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-cf-copy")).then(function () {
        button.textContent = "Link copied";
      }, function () {
        button.textContent = "Copy failed: select the address instead";
      });
    });
  });
  document.querySelectorAll("[data-cf-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
