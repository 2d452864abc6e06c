"""Which language to answer in: Welsh or English.

In order, for a typed message:

1. "Cymraeg" / "English" (and a few ways of saying them) switches, and is remembered for the person.
2. A message written in Welsh is answered in Welsh, whatever the setting.
3. The person's own remembered choice.
4. Their platform's locale, when it says Welsh (Slack's `users.info` locale, Teams' Activity `locale`).
5. `LEADBOT_LANGUAGE`, the organisation's default.

A button press (or a number or label typed for one) carries on in the language its
buttons were in, the conversation's language, before falling back to 3-5.

Any locale other than Welsh is not taken as a choice of English: Slack offers no Welsh
interface, and many Welsh speakers run Teams in English, so an English locale says little.
An organisation that wants Welsh by default sets LEADBOT_LANGUAGE=cy, and anyone can say
"English".

`looks_welsh` is a deliberately simple detector, good enough to pick the language of a
reply and cheap enough for every message. It counts common Welsh function words and
forms ("mae", "yn", "ddim", "efo", "'r", "'n"...) against common English ones. Its limits:
- One- or two-word messages count as Welsh only when they are a Welsh greeting or thanks
  ("diolch", "shwmae", "bore da"); "ok" or a name alone says nothing.
- Words that are both Welsh and English ("a", "i", "am", "at", "to") are not counted.
- A mixed message ("mae'r team yn struggling efo'r new system") goes by which language's
  small words it has more of; a message mostly in English with one Welsh phrase stays English.
- Mutated forms are listed only for the commonest words; an unusual Welsh message of few
  small words may be missed and answered in the person's usual language.
"""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"[a-zâêîôûŵŷáéíóúàèìòùäëïöüẁẃẅỳýÿ]+")

# Small words that are Welsh and not English: their count is the evidence.
WELSH = frozenset(
    [
        "yn",
        "yr",
        "y",
        "mae",
        "maen",
        "ydy",
        "ydw",
        "ydyn",
        "ydych",
        "yw",
        "oes",
        "oedd",
        "roedd",
        "roeddwn",
        "roedden",
        "bydd",
        "fydd",
        "fyddai",
        "wedi",
        "ddim",
        "dim",
        "nid",
        "nad",
        "nac",
        "ni",
        "nhw",
        "chi",
        "fi",
        "ti",
        "fy",
        "dy",
        "eich",
        "ein",
        "eu",
        "ei",
        "fe",
        "fo",
        "gyda",
        "efo",
        "gan",
        "heb",
        "hefyd",
        "ond",
        "neu",
        "os",
        "pan",
        "pam",
        "beth",
        "sut",
        "pwy",
        "ble",
        "lle",
        "sydd",
        "bod",
        "fod",
        "hyn",
        "hynny",
        "yma",
        "yna",
        "iawn",
        "diolch",
        "helo",
        "shwmae",
        "angen",
        "eisiau",
        "isio",
        "gallu",
        "medru",
        "gwneud",
        "wneud",
        "dweud",
        "ddweud",
        "gweld",
        "weld",
        "gwybod",
        "wybod",
        "cael",
        "gael",
        "mynd",
        "fynd",
        "dod",
        "ddod",
        "rhaid",
        "gormod",
        "llawer",
        "pawb",
        "bawb",
        "neb",
        "rhywun",
        "rhywbeth",
        "rydw",
        "rydyn",
        "rwy",
        "rwyf",
        "dwi",
        "dw",
        "dyw",
        "dydy",
        "dydw",
        "dydyn",
        "does",
        "doedd",
        "ac",
        "ar",
        "o",
        "â",
        "ag",
        "wrth",
        "dros",
        "drwy",
        "trwy",
        "rhwng",
        "achos",
        "oherwydd",
        "felly",
        "eto",
        "nawr",
        "rŵan",
        "tîm",
        "gwaith",
        "rheolwr",
        "newid",
        "amser",
        "wythnos",
        "heddiw",
        "yfory",
        "prynhawn",
        "r",
        "n",
    ]
)
ENGLISH = frozenset(
    [
        "the",
        "and",
        "is",
        "are",
        "was",
        "were",
        "to",
        "of",
        "in",
        "it",
        "its",
        "that",
        "this",
        "they",
        "we",
        "you",
        "he",
        "she",
        "have",
        "has",
        "had",
        "not",
        "with",
        "for",
        "on",
        "but",
        "what",
        "who",
        "how",
        "why",
        "do",
        "does",
        "did",
        "don",
        "be",
        "been",
        "being",
        "my",
        "our",
        "their",
        "your",
        "can",
        "will",
        "would",
        "should",
        "could",
        "there",
        "about",
        "just",
        "so",
        "all",
        "because",
        "if",
        "or",
        "from",
        "by",
        "an",
        "me",
        "us",
        "them",
        "than",
        "then",
        "when",
        "which",
        "some",
        "any",
        "no",
        "yes",
        "get",
        "got",
        "keep",
        "keeps",
        "still",
        "really",
    ]
)
# Whole short messages that are Welsh: greetings and thanks.
WELSH_SHORT = frozenset(
    {"diolch", "diolch yn fawr", "shwmae", "helo", "bore da", "prynhawn da", "noswaith dda", "hwyl", "iawn", "ia", "ie"}
)

SWITCH_TO = {
    "cy": frozenset(
        {"cymraeg", "yn gymraeg", "welsh", "in welsh", "cymraeg plis", "cymraeg os gwelwch yn dda", "siarad cymraeg"}
    ),
    "en": frozenset({"english", "in english", "saesneg", "yn saesneg", "english please", "speak english"}),
}


def _fold(text: str) -> str:
    # NFC so that ŵ typed as w + combining circumflex is one letter; curly apostrophes as straight ones.
    return unicodedata.normalize("NFC", text).replace("\u2019", "'").casefold()


def _words(text: str) -> list[str]:
    return WORD.findall(_fold(text))


def switch_request(text: str | None) -> str | None:
    """ "Cymraeg" or "English" on its own (give or take "please"): the language asked for, else None."""
    if not text or len(text) > 60:
        return None
    said = " ".join(_words(text))
    for code, phrases in SWITCH_TO.items():
        if said in phrases:
            return code
    return None


def looks_welsh(text: str | None) -> bool | None:
    """True if the message reads as Welsh, False if as English, None if it cannot tell (too short, names only)."""
    words = _words(text or "")
    if not words:
        return None
    if len(words) <= 3 and " ".join(words) in WELSH_SHORT:
        return True
    welsh = sum(1 for w in words if w in WELSH)
    english = sum(1 for w in words if w in ENGLISH)
    if welsh >= 2 and welsh > english:
        return True
    if english >= 2 and english >= welsh:
        return False
    return None


def from_locale(locale: str | None) -> str | None:
    """ "cy", "cy-GB", "cy_GB" -> "cy". Any other locale is not a choice (see the module's note)."""
    if not locale:
        return None
    return "cy" if locale.strip().lower().replace("_", "-").split("-")[0] == "cy" else None


def carried(*, text: str | None, pressed: bool, conversation: str | None) -> str | None:
    """The language this turn's message settles by itself (2, or carrying on), or None to ask 3-5."""
    if not pressed:
        welsh = looks_welsh(text)
        if welsh is True:
            return "cy"
        if welsh is None and conversation:
            return conversation  # "2", "iawn", a label typed for a button: carry on as we were
        return None
    return conversation


def fallback(*, stored: str | None, locale: str | None, default: str) -> str:
    """Steps 3-5: the person's own choice, a Welsh locale, the organisation's default."""
    return stored or from_locale(locale) or default
