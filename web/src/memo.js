// A component redrawn only when one of its props changed (compared with ===), like preact/compat's memo without
// pulling compat into the bundle. The sections are memoised on their data so a tab switch redraws only the tabs.
import { Component } from "preact";

function changed(before, after) {
  for (const key in after) if (before[key] !== after[key]) return true;
  for (const key in before) if (!(key in after)) return true;
  return false;
}

export function memo(render) {
  return class Memo extends Component {
    shouldComponentUpdate(next) {
      return changed(this.props, next);
    }

    render(props) {
      return render(props);
    }
  };
}
