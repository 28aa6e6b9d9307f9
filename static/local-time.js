// Progressive enhancement: each <time data-local> arrives as "29 Nov 2026, 21:40 UTC"
// with the instant in its datetime attribute. Show it in the viewer's own time zone,
// named ("22:40 CET"); the datetime attribute stays as it is and the UTC text becomes
// the tooltip. Without JavaScript the UTC text stays, which reads just as well.
(function () {
  "use strict";
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var NBSP = "\u00a0";

  function zoneName(date) {
    try {
      var parts = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(date);
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].type === "timeZoneName") {
          return parts[i].value;
        }
      }
    } catch (e) { /* no Intl: fall through */ }
    return "";
  }

  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function localise(root) {
    root.querySelectorAll("time[data-local]:not([data-localised])").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      var zone = zoneName(date);
      if (isNaN(date.getTime()) || !zone) {
        return;  // keep the UTC text rather than show a time without its zone
      }
      el.setAttribute("data-localised", "");
      el.title = el.textContent.replace(/\u00a0/g, " ");
      el.textContent =
        date.getDate() + NBSP + MONTHS[date.getMonth()] + NBSP + date.getFullYear() + ", " +
        two(date.getHours()) + ":" + two(date.getMinutes()) + NBSP + zone;
    });
  }

  // Deferred scripts run once the page is parsed; DOMContentLoaded would also wait for
  // htmx from the CDN, which may be slow or unreachable.
  localise(document);
  document.addEventListener("htmx:afterSettle", function (event) {
    localise(event.detail.target || document);  // a history restore has no target
  });
})();
