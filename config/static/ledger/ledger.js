// Decision Ledger: tiny progressive enhancements. Loaded with the CSP nonce; no inline handlers.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
