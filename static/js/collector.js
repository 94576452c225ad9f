// Collector workspace behaviour (no inline scripts: CSP). Loaded by the queue and case pages.
(() => {
  "use strict";

  // Tell the server the collector's time zone, so times show in it (views/common.py).
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && !document.cookie.split("; ").includes("tz=" + zone)) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; SameSite=Lax; max-age=31536000";
    }
  } catch (e) {
    /* an old browser: times stay in UTC */
  }

  // Work queue keyboard navigation: j / ArrowDown next, k / ArrowUp previous, Enter opens.
  const rows = () => Array.from(document.querySelectorAll("table[data-keynav] tr[data-href]"));
  let current = -1;

  const select = (index) => {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("selected", i === current));
    all[current].focus({ preventScroll: true });
    all[current].scrollIntoView({ block: "nearest" });
  };

  const typing = (el) =>
    el instanceof HTMLElement &&
    (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (typing(event.target) || !rows().length) return;
    if (event.key === "j" || event.key === "ArrowDown") {
      event.preventDefault();
      select(current + 1);
    } else if (event.key === "k" || event.key === "ArrowUp") {
      event.preventDefault();
      select(current - 1);
    } else if (event.key === "Enter" && current >= 0) {
      const row = rows()[current];
      if (row) {
        event.preventDefault();
        window.location.assign(row.dataset.href);
      }
    }
  });

  // A click anywhere on a queue row opens the case.
  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element) || target.closest("a, button, input, select")) return;
    const row = target.closest("table[data-keynav] tr[data-href]");
    if (row) window.location.assign(row.dataset.href);
  });

  // New results (filters, pages) start with no selection.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.target && event.target.id === "queue-results") current = -1;
  });
})();
