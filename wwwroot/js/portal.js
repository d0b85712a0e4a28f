// Small helpers the portal calls through JS interop.
window.patchPortal = {
  // The browser's IANA time zone, e.g. "Europe/Berlin".
  timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone,
  // Copies text (an enrolment command) to the clipboard; the portal shows it once, so copying must be easy.
  copyText: (text) => navigator.clipboard.writeText(text),
};
