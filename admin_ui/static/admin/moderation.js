// Sbor admin, moderation queues: keyboard shortcuts and canned reasons. Served by the panel (no CDN, no inline code).
// List: j/k move, x select, o/Enter open. Item: a approve and next, r reason, Ctrl+Enter reject and next, n skip.
// u back to the list, ? help. Keys are ignored while typing in a field (except Escape and Ctrl+Enter).
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr")); }
  var current = -1;
  function focusRow(i) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (r, n) { r.classList.toggle("current", n === current); });
    all[current].scrollIntoView({ block: "nearest" });
  }
  function click(sel) { var el = document.querySelector(sel); if (el) { el.click(); return true; } return false; }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target && e.target.id === "reason") {
      e.preventDefault(); click("#reject-next"); return;
    }
    if (e.key === "Escape" && typing(e)) { e.target.blur(); return; }
    if (typing(e) || e.altKey || e.ctrlKey || e.metaKey) { return; }
    var all = rows();
    switch (e.key) {
      case "j": focusRow(current + 1); break;
      case "k": focusRow(current - 1); break;
      case "x":
        if (current >= 0 && all[current]) { var box = all[current].querySelector("input[type=checkbox]"); if (box) { box.checked = !box.checked; } }
        break;
      case "o": case "Enter":
        if (current >= 0 && all[current]) { var link = all[current].querySelector("a.open"); if (link) { link.click(); } } else { return; }
        break;
      case "a": if (!click("#approve-next")) { return; } break;
      case "r": var reason = document.getElementById("reason"); if (!reason) { return; } reason.focus(); break;
      case "n": if (!click("#skip")) { return; } break;
      case "u": if (!click("#back-to-list")) { return; } break;
      case "?": var help = document.getElementById("shortcuts"); if (help) { help.open = !help.open; help.scrollIntoView(); } break;
      default: return;
    }
    e.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", function () {
    // Choosing a canned reason writes its text (in the author's language) into the reason box.
    var canned = document.querySelector("select#canned[data-language]");
    var reason = document.getElementById("reason");
    if (canned && reason) {
      canned.addEventListener("change", function () {
        var opt = canned.options[canned.selectedIndex];
        if (!opt || !opt.value) { return; }
        var lang = (canned.dataset.language || "en").slice(0, 2);
        reason.value = (lang === "ru" ? (opt.dataset.ru || opt.dataset.en) : (opt.dataset.en || opt.dataset.ru)) || "";
      });
    }
  });
})();
