// Decision Ledger: tiny progressive enhancements. Loaded with the CSP nonce; no inline handlers.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// Phones: the main navigation collapses behind a "Menu" button (without JS it stays open).
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".nav-toggle");
  const nav = document.getElementById("main-nav");
  if (toggle && nav) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("open", open);
    });
  }

  // Wide tables scroll inside their own container (never the page), reachable by keyboard.
  for (const table of document.querySelectorAll("main table")) {
    let box = table.parentElement.closest(".overflow-auto, .table-scroll");
    if (!box) {
      box = document.createElement("div");
      box.className = "table-scroll";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    }
    if (!box.hasAttribute("tabindex")) {
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      const caption = table.caption || table.closest("section, fieldset, article")?.querySelector("h2, h3, legend, header");
      box.setAttribute("aria-label", (caption?.textContent || "Table").trim().slice(0, 80));
    }
  }

  // A form that comes back with errors: move the eye (and the focus) to the first error.
  let error =
    document.querySelector("[data-focus-error]") ||
    document.querySelector("main .form-errors, main .errorlist, main .error[role=alert]");
  if (error) {
    if (error.tagName === "UL" || error.tagName === "OL") {
      // A list keeps its list role: the announced, focusable box is a wrapper around it.
      const box = document.createElement("div");
      box.className = "error-focus";
      error.parentNode.insertBefore(box, error);
      box.appendChild(error);
      error = box;
    }
    if (!error.hasAttribute("role")) error.setAttribute("role", "alert");
    if (!error.hasAttribute("aria-live")) error.setAttribute("aria-live", "assertive");
    if (!error.hasAttribute("tabindex")) error.tabIndex = -1;
    error.scrollIntoView({ block: "center" });
    error.focus({ preventScroll: true });
  }
});
