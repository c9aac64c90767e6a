// Swipe a card left past a threshold to run its action (pointer events). A plain tap stays a tap; the visible
// buttons are the fallback for those who do not swipe.
const THRESHOLD = 72;

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
      if (event.target.closest("button, a, input")) return;
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
        card.classList.add("swiping");
        card.style.transform = `translateX(${Math.max(dx, -120)}px)`;
      }
    },
    onPointerUp(event) {
      if (event.pointerId !== id) return;
      const swiped = dx <= -THRESHOLD;
      reset();
      if (swiped) onSwipe();
    },
    onPointerCancel: reset,
  };
}
