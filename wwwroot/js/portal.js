// Small helpers the portal calls through JS interop.
window.patchPortal = {
  // The browser's IANA time zone, e.g. "Europe/Berlin".
  timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone,
};
