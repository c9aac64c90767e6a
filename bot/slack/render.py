"""Reply -> what Slack shows: a fallback text (notifications, old clients) and Block Kit blocks - the
text in mrkdwn sections, the buttons in one actions block, which phones show as a row of taps.

Everything a reply says is escaped (&, <, >) and marked `verbatim`, so a name or a user's words quoted
back can never become a mention, a channel ping or a link. Before that, every text and button label goes
through `for_chat` (the last line of defence: a control, bidi or zero-width character that came from outside
and was not cleaned where it entered never reaches a screen)."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, MarkdownTextObject, SectionBlock

from core.models import Button, Reply
from core.untrusted import for_chat

SECTION_CHARS = 3000  # Slack's limit for a section's text
MAX_SECTIONS = 45  # a message holds 50 blocks; leave room for the buttons
MAX_BUTTONS = 25  # per actions block
LABEL_CHARS = 75  # a button's text
FALLBACK_CHARS = 3000  # the notification text: enough to read, far under the 40,000 limit
TRUNCATED = "\n…"
LINK_PREFIX = "link:"  # the action_id of a link button: its press is only Slack telling us it was opened
SAY_PREFIX = "say:"  # the action_id of a Home tab or modal button whose value is a command, said as if typed


def escape(text: str) -> str:
    """Slack's three control characters; & first, or the others' escapes would be escaped again."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(reply: Reply) -> tuple[str, list[Block]]:
    """(fallback text, blocks) for chat.postMessage / chat.update."""
    escaped = escape(for_chat(reply.text)) or " "
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=chunk, verbatim=True)) for chunk in _sections(escaped)
    ]
    if reply.buttons:
        blocks.append(ActionsBlock(elements=[button(b) for b in reply.buttons[:MAX_BUTTONS]]))
    return cut(escaped, FALLBACK_CHARS), blocks


def button(pressable: Button) -> ButtonElement:
    """A press carries our id back; a link button only opens its URL, though Slack still requires an action_id
    and reports the press (`is_link_press`), which the adapter drops."""
    style = pressable.style if pressable.style in ("primary", "danger") else None
    label = cut(for_chat(pressable.label) or "?", LABEL_CHARS)
    if pressable.url is not None:
        return ButtonElement(text=label, action_id=LINK_PREFIX + pressable.id, url=pressable.url, style=style)
    return ButtonElement(text=label, action_id=pressable.id, value=pressable.id, style=style)


def is_link_press(action_id: str) -> bool:
    return action_id.startswith(LINK_PREFIX)


def _sections(text: str) -> list[str]:
    """Split at line breaks into pieces Slack accepts; a single overlong line is cut where it must be."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > SECTION_CHARS:
            if current:
                chunks.append(current)
                current = ""
            at = _safe_cut(line, SECTION_CHARS)
            chunks.append(line[:at])
            line = line[at:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_CHARS:
            chunks.append(current)
            candidate = line
        current = candidate
    if current or not chunks:
        chunks.append(current or " ")
    if len(chunks) > MAX_SECTIONS:
        last = cut(chunks[MAX_SECTIONS - 1], SECTION_CHARS - len(TRUNCATED)) + TRUNCATED
        chunks = [*chunks[: MAX_SECTIONS - 1], last]
    return chunks


def _safe_cut(text: str, limit: int) -> int:
    """An index <= limit that does not split an escape such as &amp; in two."""
    amp = text.rfind("&", max(0, limit - 4), limit)
    return amp if amp > 0 and ";" not in text[amp:limit] else limit


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    at = _safe_cut(text, limit - 1)
    return text[:at] + "…"
