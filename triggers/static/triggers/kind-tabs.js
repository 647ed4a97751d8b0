// The new-trigger form's kind tabs switch panels in the page: nothing typed is lost, and
// the pre-selected acceptance or decision stays. The hidden "kind" field and the address
// (?kind=…, other parameters kept) follow the tab, so saving and reloading agree.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("trigger-form");
  const tabs = form ? [...form.querySelectorAll('[role="tab"][data-kind]')] : [];
  if (!tabs.length) return;

  function select(tab, focus) {
    for (const other of tabs) {
      const on = other === tab;
      other.setAttribute("aria-selected", String(on));
      if (on) other.setAttribute("aria-current", "page");
      else other.removeAttribute("aria-current");
      other.tabIndex = on ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
    }
    form.elements.namedItem("kind").value = tab.dataset.kind;
    const params = new URLSearchParams(window.location.search);
    params.set("kind", tab.dataset.kind);
    window.history.replaceState(null, "", `?${params}`);
    document.title = document.title.replace(/^New .+? trigger/, `New ${tab.textContent.trim().toLowerCase()} trigger`);
    if (focus) tab.focus();
  }

  for (const tab of tabs) {
    tab.addEventListener("click", (event) => {
      event.preventDefault();
      select(tab, false);
    });
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      select(tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length], true);
    });
  }
});
