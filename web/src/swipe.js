// Swipe a card left past a threshold to run its action (pointer events; touch, pen and mouse alike). A plain tap
// stays a tap, and the card's visible buttons are the fallback for those who do not swipe. The click the browser
// sends after a swipe's pointerup is swallowed, so a swipe never also "taps" what it started on.
const THRESHOLD = 72;

function swallow(event) {
  event.stopPropagation();
  event.preventDefault();
}

export function swipeHandlers(onSwipe) {
  let startX = 0;
  let startY = 0;
  let id = null;
  let dx = 0;
  let card = null;

  const reset = () => {
    if (card) {
      card.style.transform = "";
      card.classList.remove("swiping");
    }
    id = null;
    card = null;
    dx = 0;
  };

  return {
    onPointerDown(event) {
      event.currentTarget.removeEventListener("click", swallow, true);
      if (event.target.closest("input") || (event.pointerType === "mouse" && event.button !== 0)) return;
      id = event.pointerId;
      startX = event.clientX;
      startY = event.clientY;
      card = event.currentTarget;
      dx = 0;
    },
    onPointerMove(event) {
      if (event.pointerId !== id || !card) return;
      const x = event.clientX - startX;
      if (Math.abs(event.clientY - startY) > Math.abs(x) && Math.abs(x) < 10) return reset();
      dx = Math.min(0, x);
      if (dx < -8) {
        if (!card.classList.contains("swiping") && card.setPointerCapture) card.setPointerCapture(event.pointerId);
        card.classList.add("swiping");
        card.style.transform = `translateX(${Math.max(dx, -120)}px)`;
      }
    },
    onPointerUp(event) {
      if (event.pointerId !== id) return;
      const element = card;
      const swiped = dx <= -THRESHOLD;
      reset();
      if (!swiped) return;
      element.addEventListener("click", swallow, { capture: true, once: true });
      onSwipe();
    },
    onPointerCancel: reset,
  };
}
