// The emergency view: the few big buttons this user may run (each opens the same preview and confirmation as chat).
import { memo } from "./memo.js";

export const Emergency = memo(function Emergency({ items, canAct, showActions, onRun }) {
  if (!showActions) return <p class="empty" data-test="emergency-none">Your role may look but not act.</p>;
  if (items.length === 0) return <p class="empty" data-test="emergency-none">No emergency actions for you.</p>;
  return (
    <div class="emergency">
      <p class="hint">Each button shows its preview first; nothing runs before you confirm.</p>
      {items.map((item) => (
        <button
          key={item.command}
          type="button"
          class={item.danger ? "big danger" : "big"}
          data-test="emergency-button"
          data-command={item.command}
          disabled={!canAct}
          onClick={() => onRun(item.command)}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
});
