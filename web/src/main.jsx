import { render } from "preact";
import { credentialsFromUrl } from "./api.js";
import { App } from "./app.jsx";
import { greetTelegram } from "./telegram.js";
import { applyTheme } from "./theme.js";
import "./style.css";

applyTheme(location.hash);
greetTelegram(location.hash);
render(<App hash={location.hash} search={location.search} />, document.getElementById("app"));

// A new sign-in link opened in a tab that already shows the app only changes the fragment: start afresh with it.
window.addEventListener("hashchange", () => credentialsFromUrl(location.hash) && location.reload());

if ("serviceWorker" in navigator && location.protocol !== "file:") {
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => undefined);
}
