"""Messages that are about the bot rather than a team: hello, thanks, help, privacy, forget me.

Only short messages count: "hi, half my team missed the deadline again" is a
team problem that happens to start with hello, and is diagnosed as one.
"""

from __future__ import annotations

import re

OPENERS = re.compile(
    r"^(?:(?:"
    r"hi+|hello|hey+|hiya|howdy|yo|alright|morning|afternoon|evening|good (?:morning|afternoon|evening|day)"
    r"|thanks?(?: you)?(?: (?:so|very) much)?|thank u|cheers|ta|many thanks"
    r"|okay|ok|right|so|um+|erm+|hmm+"
    # Welsh: hello, good morning/afternoon/evening, thanks
    r"|shwmae|s[wu]'?mae|helo|hylo|bore da|prynhawn da|noswaith dda|diolch(?: yn fawr)?(?: iawn)?|diolch o galon"
    r")\b[\s,.!-]*)+"
)


def _one_of(*phrases: str, start: bool = False, end: str = "") -> re.Pattern[str]:
    """A pattern matching any of the phrases (each a small regular expression), from the start of the
    message (`start`) or anywhere at a word boundary."""
    return re.compile(("^" if start else r"\b") + "(?:" + "|".join(phrases) + ")" + end)


LEAD_WORD = r"(?:lead|leads|leader|leaders|leadership|leading)"
MANAGE_WORD = r"(?:manage|manages|manager|managers|management|managing)"
# Words that set the two side by side: "the difference between", "different from", "vs", "another word for".
COMPARED = r"(?:differen(?:ce|t|tly)|differ|distinction|vs\.?|versus|same|compared? (?:to|with)|word for|or just|or)"
# A message about a team or a situation ("my team", "the rota", "they", "when my boss...") is a problem to
# diagnose even when it names both ideas; only a question about the ideas themselves is answered as one.
ABOUT_A_SITUATION = re.compile(
    r"\b(?:team|teams|staff|colleagues?|crew|officers?|rota|shifts?|backlog|deadlines?|handovers?|cases?"
    r"|they|them|their|he|she|him|her|me|everyone|nobody|when|if|because|since|tîm)\b"
)

RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "forget",
        _one_of(
            r"forget (?:about )?me",
            r"forget (?:everything|all) (?:about me|you know|you have)",
            r"delete (?:all )?(?:my|me|everything (?:about|on) me)\b",
            r"(?:erase|wipe|remove|delete) (?:all )?(?:my|me from)\b.{0,20}"
            r"(?:data|details|history|records?|conversations?|stuff|everything)?",
            r"right to (?:be forgotten|erasure)",
            # Welsh: forget me, forget about me, delete my data/details
            r"anghofi(?:a|wch) (?:fi|amdana i|amdanaf i)",
            r"dilea?(?:wch)? (?:fy|'y|y) (?:data|manylion|negeseuon|hanes)",
        ),
    ),
    (
        "privacy",
        _one_of(
            r"what (?:do|did|will) you (?:store|keep|save|record|remember|log|know about me)",
            r"what (?:is|gets|does it) (?:stored|kept|saved|recorded|logged)",
            r"(?:is|are) (?:this|it|my messages?|what i (?:type|write|say))"
            r" (?:stored|saved|recorded|logged|confidential|private|anonymous|secure)",
            r"who (?:can|will|gets to) (?:see|read|access)",
            r"where does (?:this|it|what i (?:type|write|say))",
            r"(?:store|keep|save) (?:my|what i)",
            r"privacy",
            r"gdpr",
            r"data protection",
            r"confidential",
            # Welsh: what do you keep/store, privacy, data protection, confidential
            r"beth (?:wyt ti'n|ydych chi'n|dach chi'n|ych chi'n) (?:ei )?(?:gadw|storio|gofio|gofnodi)",
            r"preifatrwydd",
            r"diogelu data",
            r"cyfrinachol",
        ),
    ),
    (
        "help",
        _one_of(
            r"help",
            r"help me",
            r"help please",
            r"please help",
            r"\?+",
            r"commands",
            r"menu",
            r"options",
            r"how (?:do(?:es)?|can) (?:i|this|it|you) (?:use|work)(?: (?:this|it|you))?",
            r"how does this (?:thing )?work",
            r"what (?:can|do|should) (?:you|i) (?:do|ask|say|type)(?: here| with you)?",
            r"what should i (?:ask|say|type)",
            r"instructions",
            r"usage",
            r"getting started",
            r"guide",
            # Welsh: help, how does this work, what can I ask
            r"helpu?(?: fi| ni)?",
            r"cymorth",
            r"sut mae (?:hwn|hyn|hwnna|hyn 'ma) yn gweithio",
            r"beth (?:alla i|ga i|dylwn i) (?:ei )?(?:ofyn|ddweud|deipio)",
            start=True,
            # The whole message: "help! half my team missed the deadline" is a team problem.
            end=r"[\s?!.,]*(?:please|pls|plz|plis|os gwelwch yn dda|thanks|diolch)?[\s?!.]*$",
        ),
    ),
    (
        # "Can you email me these chats?": asks for a copy of words the bot never keeps.
        "copy",
        _one_of(
            r"(?:email|e-mail|send|forward|export|download|save|print)(?:ed)? (?:me )?(?:a copy of )?(?:these|this|the|our|my|all)"
            r" (?:chats?|conversations?|messages?|advice|transcripts?|history)",
            r"(?:get|have|keep) (?:a copy of )?(?:these|this|the|our|my) (?:chats?|conversations?|messages?|advice)"
            r" (?:emailed|sent|saved|exported|printed|forwarded)",
            r"(?:copy|transcript|record) of (?:these|this|the|our|my) (?:chats?|conversations?)",
            # Welsh: email / send / save / print the chat, a copy of the chat
            r"(?:e-?bostio|anfon|cadw|argraffu)(?: ata i| i mi)? ?(?:'r|y|yr|fy|ein) (?:sgwrs|sgyrsiau|negeseuon|cyngor)",
            r"(?:c|g|ch)opi o'?r (?:sgwrs|sgyrsiau|negeseuon)",
        ),
    ),
    (
        "about",
        _one_of(
            r"what (?:is|are) (?:this|you|leadbot)",
            r"who (?:are|made|built|runs) (?:you|this)",
            r"are you (?:a |an )?(?:bot|robot|human|real|person|ai|chatgpt|computer)",
            r"is this (?:a |an )?(?:bot|ai|real person|human)",
            r"what(?:'s| is) leadbot",
            r"can i use (?:you|this|it) on",
            r"can i (?:get|have|use|access|put) (?:you|this|it|leadbot)(?: \w+)? on (?:my |a )?(?:phone|mobile|ipad|tablet)",
            r"do you work on",
            r"is there an app",
            # Welsh: what is this, who are you, are you a bot
            r"beth (?:yw|ydy|di) (?:hwn|hyn|leadbot)",
            r"pwy (?:wyt ti|ydych chi|dach chi|ych chi)",
            r"(?:wyt ti|ydych chi|dach chi) (?:yn )?(?:fot|bot|robot|berson)",
        ),
    ),
    (
        # A question about the idea itself, not about a team: "is leading really different from
        # managing?" deserves the distinction explained, not a diagnosis of a team nobody described.
        "concept",
        re.compile(
            # both ideas named and set side by side, in any order ("leaders or managers: same thing?")
            rf"^(?=.*\b{LEAD_WORD}\b)(?=.*\b{MANAGE_WORD}\b)(?=.*\b{COMPARED}\b)"
            # or one of them asked about on its own ("what is leadership, then?")
            rf"|^(?:so |but |and |ok(?:ay)? |sorry )?(?:what(?:'s| is| does)|define|explain|meaning of)"
            rf"(?: (?:the|a|you|your|by|word|idea|term|mean(?:ing)?|of|by|with))* "
            rf"(?:{LEAD_WORD}|{MANAGE_WORD})(?: (?:mean|actually|really|anyway|then))*[\s?!.]*$"
            # Welsh: the difference between leading and managing, arwain / rheoli
            r"|gwahaniaeth rhwng (?:arwain|arweinyddiaeth|arweinydd\w*) a (?:rheoli|rheolaeth|rheolwr\w*)"
            r"|gwahaniaeth rhwng (?:rheoli|rheolaeth|rheolwr\w*) ac? (?:arwain|arweinyddiaeth|arweinydd\w*)"
        ),
    ),
    (
        "greeting",
        _one_of(
            r"hi+",
            r"hello",
            r"hey+",
            r"hiya",
            r"howdy",
            r"yo",
            r"alright",
            r"morning",
            r"afternoon",
            r"evening",
            r"good (?:morning|afternoon|evening|day)",
            r"how are you",
            r"how's it going",
            r"you there",
            # Welsh greetings
            r"shwmae",
            r"s[wu]'?mae",
            r"sut wyt ti",
            r"sut dach chi",
            r"helo",
            r"hylo",
            r"bore da",
            r"prynhawn da",
            r"noswaith dda",
            start=True,
            end=r"\b",
        ),
    ),
    (
        "thanks",
        _one_of(
            r"thanks?",
            r"thank (?:you|u)",
            r"cheers",
            r"ta",
            r"brill(?:iant)?",
            r"great",
            r"perfect",
            r"lovely",
            r"nice one",
            r"that(?:'s| is| was) (?:really )?(?:helpful|useful|great|brilliant)",
            r"helpful",
            r"useful",
            r"appreciated",
            r"much appreciated",
            # Welsh thanks and approval
            r"diolch",
            r"gwych",
            r"ardderchog",
            r"grêt",
            r"defnyddiol",
            r"hyfryd",
            start=True,
            end=r"\b",
        ),
    ),
]

MAX_INTENT_WORDS = 14


CONCEPT = dict(RULES)["concept"]
SENTENCE_END = re.compile(r"(?<=[.?!;:])\s+")
# "just curious", "asking for a friend": said around a question without adding a matter of its own.
MAX_ASIDE_WORDS = 4


def beside_the_question(clean_text: str) -> str | None:
    """What a message says beside a question about the ideas themselves, when that is a matter of its
    own: "leadership vs management? a carer takes money from residents" -> "a carer takes money from
    residents". That part is what gets read, so a matter tacked on to the question is never lost
    behind the answer to it. None when there is no such question, or nothing said beside it."""
    sentences = SENTENCE_END.split(clean_text.strip())
    others = [s for s in sentences if not CONCEPT.search(s)]
    if len(others) == len(sentences) or not any(len(s.split()) > MAX_ASIDE_WORDS for s in others):
        return None
    return " ".join(others)


def intent_of(clean_text: str) -> str | None:
    """The kind of non-problem message this is, or None if it should be diagnosed.

    Called on what the diagnoser reads: a matter said beside a question about the ideas has already
    been taken out of the message by `beside_the_question`, so it is never answered as "concept"."""
    words = clean_text.split()
    if not words or len(words) > MAX_INTENT_WORDS:
        # Long messages are problems even when they mention privacy in passing;
        # "forget me" is honoured at any length because getting it wrong is worse.
        return "forget" if RULES[0][1].search(clean_text) and len(words) <= 30 else None
    for name, pattern in RULES:
        if pattern.search(clean_text):
            if name == "concept" and ABOUT_A_SITUATION.search(clean_text):
                continue
            return name
    return None


def strip_openers(clean_text: str) -> str:
    """'hi there, thanks, our rota is a mess' -> 'our rota is a mess'."""
    return OPENERS.sub("", clean_text, count=1).strip()
