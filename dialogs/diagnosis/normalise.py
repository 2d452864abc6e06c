"""Turn a message as a manager types it into something the rules and the model can read.

Lower case, straight quotes, no control characters, text-speak and contractions
spelt out ("ppl dont" -> "people do not"), so that "don't know why" and
"dont kno why" land on the same words.
"""

from __future__ import annotations

import re
import unicodedata

# Text-speak and shorthand seen in chat messages, spelt out. Keys are whole tokens.
SHORTHAND = {
    "ppl": "people",
    "peeps": "people",
    "tbh": "to be honest",
    "ngl": "not going to lie",
    "idk": "i do not know",
    "dunno": "do not know",
    "kno": "know",
    "knw": "know",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "thnx": "thanks",
    "ty": "thank you",
    "b4": "before",
    "u": "you",
    "ur": "your",
    "r": "are",
    "y": "why",
    "w/": "with",
    "w/o": "without",
    "cos": "because",
    "coz": "because",
    "cuz": "because",
    "bc": "because",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "tho": "though",
    "thru": "through",
    "abt": "about",
    "sth": "something",
    "smth": "something",
    "sb": "somebody",
    "every1": "everyone",
    "some1": "someone",
    "any1": "anyone",
    "no1": "no one",
    "2day": "today",
    "2moro": "tomorrow",
    "tmrw": "tomorrow",
    "2morrow": "tomorrow",
    "wk": "week",
    "wks": "weeks",
    "mgr": "manager",
    "mgmt": "management",
    "msg": "message",
    "msgs": "messages",
    "txt": "text",
    "txted": "texted",
    "asap": "as soon as possible",
    "fyi": "for your information",
    "atm": "at the moment",
    "imo": "in my opinion",
    "afaik": "as far as i know",
    "probs": "probably",
    "def": "definitely",
    "defo": "definitely",
    "v": "very",
    "rly": "really",
    "realy": "really",
    "bcoz": "because",
    "wot": "what",
    "wat": "what",
    "wht": "what",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "cant": "cannot",
    "wont": "will not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "havent": "have not",
    "hasnt": "has not",
    "hadnt": "had not",
    "shouldnt": "should not",
    "wouldnt": "would not",
    "couldnt": "could not",
    "aint": "is not",
    "im": "i am",
    "ive": "i have",
    "theyre": "they are",
    "theyve": "they have",
    "youre": "you are",
    "thats": "that is",
    "whats": "what is",
    "hes": "he is",
    "shes": "she is",
    "ok": "okay",
    "k": "okay",
    "pic": "picture",
    "pics": "pictures",
    "n": "and",
    "&": "and",
    "+": "and",
    "w": "with",
    "nxt": "next",
    "yr": "year",
    "yrs": "years",
    "govt": "government",
    "dept": "department",
    "depts": "departments",
    "ppt": "presentation",
}

CONTRACTIONS = [
    (re.compile(r"\bcan't\b"), "cannot"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bshan't\b"), "shall not"),
    (re.compile(r"\bain't\b"), "is not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"\bi'm\b"), "i am"),
    (re.compile(r"\b(it|that|what|there|who|he|she|here)'s\b"), r"\1 is"),
]

QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
    }
)
SPACES = re.compile(r"\s+")
TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[?!]")
LETTER = re.compile(r"[a-z]")


def clean(text: str) -> str:
    """Unicode-normalised, lower case, straight quotes, no control characters, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(QUOTES)
    # A printable string has no control or format characters (category C), so it skips the per-character
    # pass: that pass over 9,000 training examples was most of a second of every start.
    if not text.isprintable():
        text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return SPACES.sub(" ", text).strip().lower()


def expand(text: str) -> str:
    """`clean` text with contractions and text-speak spelt out."""
    for pattern, repl in CONTRACTIONS:
        text = pattern.sub(repl, text)
    words = []
    for word in text.split(" "):
        core = word.strip(".,;:!?()[]\"'")
        if core in SHORTHAND:
            words.append(word.replace(core, SHORTHAND[core], 1))
        else:
            words.append(word)
    return " ".join(words)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def has_letters(text: str) -> bool:
    return bool(LETTER.search(text))
