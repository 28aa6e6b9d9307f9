// Progressive enhancement on top of htmx: after a page region is swapped in,
// move focus to its heading and announce where the taker now is.
(function () {
  "use strict";

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "main") {
      return;
    }
    var heading = target.querySelector("[data-focus]");
    if (heading) {
      heading.focus({ preventScroll: false });
    }
    var announcer = document.getElementById("announcer");
    var source = target.querySelector("[data-announce]");
    if (announcer && source) {
      // Clearing first makes screen readers repeat an identical message.
      announcer.textContent = "";
      window.setTimeout(function () {
        announcer.textContent = source.getAttribute("data-announce");
      }, 50);
    }
  });

  // A history restore replaces the body: put focus where a page load would.
  document.addEventListener("htmx:historyRestore", function () {
    var heading = document.querySelector("#main [data-focus]");
    if (heading) {
      heading.focus();
    }
  });
})();

// Print buttons work only with JavaScript, so they start hidden.
(function () {
  "use strict";
  function wire(root) {
    root.querySelectorAll("[data-print]:not([data-wired])").forEach(function (button) {
      button.setAttribute("data-wired", "");
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    wire(event.detail.target || document);  // a history restore has no target
  });
})();
