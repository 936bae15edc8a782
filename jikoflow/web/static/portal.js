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

// A select marked data-controls="ID" shows only the options of #ID grouped under its value.
function limitChoices(select) {
  const target = document.getElementById(select.dataset.controls);
  if (!target) {
    return;
  }
  let first = null;
  for (const group of target.querySelectorAll("optgroup")) {
    const shown = group.dataset.contract === select.value;
    group.hidden = !shown;
    for (const option of group.querySelectorAll("option")) {
      option.disabled = !shown;
      if (shown && first === null) {
        first = option;
      }
    }
  }
  const chosen = target.selectedOptions[0];
  if ((!chosen || chosen.disabled) && first !== null) {
    first.selected = true;
  }
}

for (const select of document.querySelectorAll("select[data-controls]")) {
  limitChoices(select);
  select.addEventListener("change", () => limitChoices(select));
}

// A section marked data-live="URL" follows its reports: every 2 s while any is on its way,
// every 20 s after that, and not at all while the tab is hidden. The answer carries states
// and times only (never what happened), and these requests do not keep an idle session alive.
function followReports(section) {
  let timer = null;
  const update = (report) => {
    const row = section.querySelector(`tr[data-report="${CSS.escape(report.to)}"]`);
    if (!row) {
      return;
    }
    for (const cell of row.querySelectorAll("[data-field]")) {
      const value = report[cell.dataset.field];
      if (typeof value === "string" && cell.textContent !== value) {
        cell.textContent = value;
      }
    }
    const badge = row.querySelector("[data-status]");
    if (badge && badge.dataset.status !== report.status) {
      badge.classList.remove(badge.dataset.status);
      badge.classList.add(report.status);
      badge.dataset.status = report.status;
    }
  };
  const poll = async () => {
    timer = null;
    let answer;
    try {
      answer = await fetch(section.dataset.live, {
        headers: { Accept: "application/json" },
        redirect: "manual",
        cache: "no-store",
      });
    } catch {
      schedule(20000);
      return;
    }
    if (!answer.ok) {
      return; // signed out, or gone: the page stays as it is
    }
    const data = await answer.json();
    data.reports.forEach(update);
    section.dataset.going = String(data.going);
    schedule(data.going > 0 ? 2000 : 20000);
  };
  const schedule = (delay) => {
    if (timer === null && !document.hidden) {
      timer = setTimeout(poll, delay);
    }
  };
  document.addEventListener("visibilitychange", () => {
    if (document.hidden && timer !== null) {
      clearTimeout(timer);
      timer = null;
    } else if (!document.hidden) {
      schedule(0);
    }
  });
  schedule(1000);
}

for (const section of document.querySelectorAll("[data-live]")) {
  followReports(section);
}
