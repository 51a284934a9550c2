// The offer page: a step that cannot be undone (rescind, discard, revoke the link) asks first.
// Its button says what to ask in data-confirm: the Content-Security-Policy runs no onclick.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
})();
