// Sbor admin, layout: the phone menu's button, and a hint on tables wider than the screen. No inline scripts (CSP).
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  var side = document.querySelector(".side");
  var toggle = document.querySelector(".menu-toggle");
  if (side && toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = side.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  var hint = document.body.dataset.scrollHint || "";
  function mark(wrap) {
    var overflowing = wrap.scrollWidth > wrap.clientWidth + 1;
    wrap.classList.toggle("overflowing", overflowing);
    wrap.classList.toggle("at-end", wrap.scrollLeft + wrap.clientWidth >= wrap.scrollWidth - 2);
    var note = wrap.previousElementSibling;
    var has = note && note.classList.contains("scroll-hint");
    if (overflowing && !has && hint) {
      note = document.createElement("p");
      note.className = "scroll-hint";
      note.textContent = hint;
      wrap.parentNode.insertBefore(note, wrap);
    } else if (!overflowing && has) {
      note.remove();
    }
  }
  function markAll() { document.querySelectorAll(".table-wrap").forEach(mark); }
  document.querySelectorAll(".table-wrap").forEach(function (w) {
    w.addEventListener("scroll", function () { mark(w); }, { passive: true });
  });
  markAll();
  window.addEventListener("resize", markAll);
  document.addEventListener("htmx:afterSettle", markAll);
  document.addEventListener("toggle", markAll, true);  // a <details> with a table opened
});
