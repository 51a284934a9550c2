// The message template's admin page: choosing another candidate reloads the preview for them
// (a listener here: the Content-Security-Policy runs no onchange="" attribute).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    const select = event.target.closest("select.preview-candidate");
    if (!select) return;
    const query = new URLSearchParams({ preview_candidate: select.value });
    window.location.search = query.toString();
  });
})();
