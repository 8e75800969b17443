// mentorhub's small progressive enhancements. Every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // On the sign-up form, preselect the browser's time zone.
  for (const select of document.querySelectorAll("select[data-detect-timezone]")) {
    try {
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone && select.value === "UTC" && [...select.options].some((o) => o.value === zone)) {
        select.value = zone;
      }
    } catch (_) {
      // Older browsers: keep the server's default.
    }
  }
});
