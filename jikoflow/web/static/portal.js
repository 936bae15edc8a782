// jikoflow portal: small progressive enhancements; every page works without this script.
"use strict";

// A form marked data-once is sent once: a second click while it is on its way does nothing.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) {
    return;
  }
  if (form.dataset.sent === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "yes";
});
