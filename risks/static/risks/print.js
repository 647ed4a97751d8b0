// The "Print" button of the audit file: opens the browser's print dialog.
// A static file of ours (CSP script-src 'self' + nonce), no inline handler.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
