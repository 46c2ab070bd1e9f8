// Entry point of the bundle: every page loads it; <body data-page="…"> selects what runs.
import { startFrontPage } from "./front_page.js";
import { enhanceForms } from "./forms.js";
import { startProfilePage } from "./profile_page.js";

const pages = {
  frontpage: startFrontPage,
  profile: startProfilePage,
};

function start() {
  enhanceForms();
  const page = pages[document.body.dataset.page];
  if (page) page();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
