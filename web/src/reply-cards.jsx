// The bot's answers to what was asked from the app: the preview with Confirm/Cancel, then progress and results
// (later replies arrive on the live stream and replace their card).
const CONFIRMING = /^(confirm|approve)/i;

export function Replies({ cards, canAct, onPress, onClose }) {
  if (cards.length === 0) return null;
  return (
    <aside class="replies" aria-live="polite">
      {cards.map((card) => (
        <div key={card.keys[0]} class={`card reply ${card.kind || ""}`} data-test="reply-card" data-key={card.keys[0]}>
          <div class="reply-text" data-test="reply-text">
            {card.text}
          </div>
          <div class="buttons">
            {(card.buttons || []).map((button) =>
              button.url ? (
                <a key={button.id || button.url} class="button" href={button.url} target="_blank" rel="noopener noreferrer">
                  {button.label}
                </a>
              ) : (
                <button
                  key={button.id}
                  type="button"
                  class={button.style === "danger" ? "danger" : button.style === "primary" ? "primary" : ""}
                  data-test={CONFIRMING.test(button.id || "") || CONFIRMING.test(button.label) ? "confirm-button" : "reply-button"}
                  data-button-id={button.id}
                  disabled={!canAct || card.pending}
                  onClick={() => onPress(card, button)}
                >
                  {button.label}
                </button>
              ),
            )}
            <button type="button" class="quiet" data-test="reply-close" aria-label="Close" onClick={() => onClose(card)}>
              ✕
            </button>
          </div>
        </div>
      ))}
    </aside>
  );
}
