// Sbor admin: tell the server the browser's timezone at sign-in (dates are shown in the admin's timezone),
// and send the CSRF token with htmx requests. No inline scripts: the CSP allows only files from this server.
document.addEventListener("DOMContentLoaded", function () {
  var tz = document.querySelector("input[name=timezone]");
  if (tz && window.Intl) { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; }
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) { if (!window.confirm(f.dataset.confirm)) { e.preventDefault(); } });
  });
});
document.addEventListener("htmx:configRequest", function (e) {
  var meta = document.querySelector("meta[name=csrf-token]");
  if (meta) { e.detail.headers["X-CSRF-Token"] = meta.content; }
});
document.addEventListener("DOMContentLoaded", function () {
  // A list's "select all" box ticks every row's box of the bulk form.
  document.querySelectorAll("input.select-all").forEach(function (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=id][form=bulk]").forEach(function (c) { c.checked = all.checked; });
    });
  });
});
