// Progressive enhancement on top of htmx: after a page region is swapped in,
// move focus to its heading and announce where the taker now is.
(function () {
  "use strict";

  function announce(source) {
    var announcer = document.getElementById("announcer");
    if (announcer && source) {
      // Clearing first makes screen readers repeat an identical message.
      announcer.textContent = "";
      window.setTimeout(function () {
        announcer.textContent = source.getAttribute("data-announce");
      }, 50);
    }
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    // htmx also fires the event on each element swapped out of band, with the same
    // target: act once, for the target itself.
    if (!target || event.target !== target) {
      return;
    }
    if (target.id !== "main" && target.id !== "question-slot") {
      // A small region swapped in (the flag toggle) may bring a hidden message that
      // exists only to be announced; focus stays where it was.
      announce(target.querySelector("[data-announce][hidden]"));
      return;
    }
    var heading = target.querySelector("[data-focus]");
    if (heading) {
      heading.focus({ preventScroll: false });
    }
    announce(target.querySelector("[data-announce]"));
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
  // Deferred scripts run once the page is parsed; DOMContentLoaded would also wait for
  // htmx from the CDN, which may be slow or unreachable.
  wire(document);
  document.addEventListener("htmx:afterSettle", function (event) {
    wire(event.detail.target || document);  // a history restore has no target
  });
})();

// The question navigator is a closed disclosure without JavaScript. On a wide screen,
// where it stands beside the question, open it; and keep it as the taker last left it
// (open or closed) from one question to the next, in this tab.
(function () {
  "use strict";
  var KEY = "quiz.navigator";
  var WIDE = "(min-width: 64rem)";

  function remembered() {
    try {
      return window.sessionStorage.getItem(KEY);
    } catch (error) {
      return null;  // storage refused (private mode, a policy): use the default
    }
  }

  function place(root) {
    var navigator = root.querySelector("details.navigator");
    if (!navigator) {
      return;
    }
    var wanted = remembered();
    var open = wanted ? wanted === "open" : window.matchMedia(WIDE).matches;
    if (navigator.open !== open) {
      navigator.setAttribute("data-placed", "");  // not the taker's doing: not remembered
      navigator.open = open;
    }
  }

  document.addEventListener("toggle", function (event) {
    var navigator = event.target;
    if (!navigator.matches || !navigator.matches("details.navigator")) {
      return;
    }
    if (navigator.hasAttribute("data-placed")) {
      navigator.removeAttribute("data-placed");
      return;
    }
    try {
      window.sessionStorage.setItem(KEY, navigator.open ? "open" : "closed");
    } catch (error) {
      // Not remembered: the next question opens it as the screen width says.
    }
  }, true);  // toggle does not bubble
  // "the question list" in the note after a skip: open the list it leads to.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href='#navigator']") : null;
    var navigator = document.getElementById("navigator");
    if (link && navigator) {
      navigator.open = true;
    }
  });
  place(document);
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.id === "main") {
      place(document);
    }
  });
})();
