"""Messages that are about the bot rather than a team: hello, thanks, help, privacy, forget me.

Only short messages count: "hi, half my team missed the deadline again" is a
team problem that happens to start with hello, and is diagnosed as one.
"""

from __future__ import annotations

import re

OPENERS = re.compile(
    r"^(?:(?:hi+|hello|hey+|hiya|howdy|yo|alright|morning|afternoon|evening|good (?:morning|afternoon|evening|day)"
    r"|thanks?(?: you)?(?: (?:so|very) much)?|thank u|cheers|ta|many thanks|okay|ok|right|so|um+|erm+|hmm+)\b[\s,.!-]*)+"
)

RULES: list[tuple[str, re.Pattern[str]]] = [
    ("forget", re.compile(r"\b(?:forget (?:about )?me|forget (?:everything|all) (?:about me|you know|you have)|delete (?:all )?(?:my|me|everything (?:about|on) me)\b|(?:erase|wipe|remove|delete) (?:all )?(?:my|me from)\b.{0,20}(?:data|details|history|records?|conversations?|stuff|everything)?|right to (?:be forgotten|erasure))")),
    ("privacy", re.compile(r"\b(?:what (?:do|did|will) you (?:store|keep|save|record|remember|log|know about me)|what (?:is|gets|does it) (?:stored|kept|saved|recorded|logged)|(?:is|are) (?:this|it|my messages?|what i (?:type|write|say)) (?:stored|saved|recorded|logged|confidential|private|anonymous|secure)|who (?:can|will|gets to) (?:see|read|access)|where does (?:this|it|what i (?:type|write|say))|(?:store|keep|save) (?:my|what i)|privacy|gdpr|data protection|confidential)")),
    ("help", re.compile(r"^(?:help|help me|help please|please help|\?+|commands|menu|options|how (?:do(?:es)?|can) (?:i|this|it|you) (?:use|work)(?: (?:this|it|you))?|how does this (?:thing )?work|what (?:can|do|should) (?:you|i) (?:do|ask|say|type)(?: here| with you)?|what should i (?:ask|say|type)|instructions|usage|getting started|guide)\b")),
    ("about", re.compile(r"\b(?:what (?:is|are) (?:this|you|leadbot)|who (?:are|made|built|runs) (?:you|this)|are you (?:a |an )?(?:bot|robot|human|real|person|ai|chatgpt|computer)|is this (?:a |an )?(?:bot|ai|real person|human)|what(?:'s| is) leadbot|can i use (?:you|this|it) on|do you work on|is there an app)")),
    ("greeting", re.compile(r"^(?:hi+|hello|hey+|hiya|howdy|yo|alright|morning|afternoon|evening|good (?:morning|afternoon|evening|day)|how are you|how's it going|you there)\b")),
    ("thanks", re.compile(r"^(?:thanks?|thank (?:you|u)|cheers|ta|brill(?:iant)?|great|perfect|lovely|nice one|that(?:'s| is| was) (?:really )?(?:helpful|useful|great|brilliant)|helpful|useful|appreciated|much appreciated)\b")),
]

MAX_INTENT_WORDS = 14


def intent_of(clean_text: str) -> str | None:
    """The kind of non-problem message this is, or None if it should be diagnosed."""
    words = clean_text.split()
    if not words or len(words) > MAX_INTENT_WORDS:
        # Long messages are problems even when they mention privacy in passing;
        # "forget me" is honoured at any length because getting it wrong is worse.
        return "forget" if RULES[0][1].search(clean_text) and len(words) <= 30 else None
    for name, pattern in RULES:
        if pattern.search(clean_text):
            return name
    return None


def strip_openers(clean_text: str) -> str:
    """'hi there, thanks, our rota is a mess' -> 'our rota is a mess'."""
    return OPENERS.sub("", clean_text, count=1).strip()
