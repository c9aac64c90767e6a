// The replies of this user's app conversation, merged by key: a later reply with edit_of replaces its card.
export function mergeReply(cards, reply) {
  const target = reply.edit_of || reply.key;
  const index = cards.findIndex((card) => card.keys.includes(target) || card.keys.includes(reply.key));
  if (index < 0) return [...cards, { ...reply, keys: [reply.key] }].slice(-6);
  const card = cards[index];
  const keys = card.keys.includes(reply.key) ? card.keys : [...card.keys, reply.key];
  const next = cards.slice();
  next[index] = { ...reply, keys, pending: false };
  return next;
}
