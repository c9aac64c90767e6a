// The first script the page runs: a small module of its own (index.html loads it `async`, beside the app's bundle),
// so sign-in goes out while the rest of the app still downloads. On a 3G link that overlaps the sign-in's round
// trip with the bundle's, instead of adding it after. The app takes the answer from `early` (the board comes with it).
import { credentialsFromUrl, signIn } from "./api.js";

const credentials = credentialsFromUrl(location.hash);

// null without credentials in the fragment; else the sign-in's answer, or the ApiError it failed with.
export const early = credentials ? signIn(credentials).catch((error) => error) : null;
