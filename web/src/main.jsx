import { render } from "preact";
import { App } from "./app.jsx";
import { applyTheme } from "./theme.js";
import "./style.css";

applyTheme(location.hash);
render(<App hash={location.hash} search={location.search} />, document.getElementById("app"));

if ("serviceWorker" in navigator && location.protocol !== "file:") {
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => undefined);
}
