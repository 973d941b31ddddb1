"""The Porter stemmer, with the extensions of NLTK's default mode (what ROUGE stems with).

Porter (1980) strips English suffixes in five steps, each rule guarded by the *measure*
m of the remaining stem (the number of vowel-consonant runs). NLTK's default mode adds a
table of irregular words, keeps words of one or two letters, and tweaks steps 1a, 1b, 1c
and 2; ``rouge_score`` uses that mode, so ROUGE with ``use_stemmer=True`` needs exactly it.

Example:
    >>> from embrace.evaluate.porter import PorterStemmer
    >>> [PorterStemmer().stem(w) for w in ["caresses", "ponies", "relational", "happy", "dying"]]
    ['caress', 'poni', 'relat', 'happi', 'die']
"""

from __future__ import annotations

from typing import Callable

_VOWELS = frozenset("aeiou")

# irregular forms NLTK maps directly, before any rule runs
_IRREGULAR = {
    "skies": "sky", "sky": "sky", "dying": "die", "lying": "lie", "tying": "tie", "news": "news",
    "innings": "inning", "inning": "inning", "outings": "outing", "outing": "outing",
    "cannings": "canning", "canning": "canning", "howe": "howe", "proceed": "proceed",
    "exceed": "exceed", "succeed": "succeed",
}


def _consonant_flags(word: str) -> list[bool]:
    """True where ``word`` has a consonant. 'y' is a consonant at the start or after a vowel."""
    flags: list[bool] = []
    for i, ch in enumerate(word):
        if ch in _VOWELS:
            flags.append(False)
        elif ch == "y":
            flags.append(True if i == 0 else not flags[i - 1])
        else:
            flags.append(True)
    return flags


def measure(stem: str) -> int:
    """m in [C](VC)^m[V]: how many vowel-then-consonant transitions the stem has.

    Example:
        >>> measure("tree"), measure("trouble"), measure("troubles")
        (0, 1, 2)
    """
    flags = _consonant_flags(stem)
    return sum(1 for prev, cur in zip(flags, flags[1:]) if not prev and cur)


def _has_vowel(stem: str) -> bool:
    return not all(_consonant_flags(stem))


def _ends_double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _consonant_flags(word)[-1]


def _ends_cvc(word: str) -> bool:
    """*o: consonant-vowel-consonant ending, the last not w/x/y (or, NLTK, a 2-letter vowel-consonant word)."""
    flags = _consonant_flags(word)
    if len(word) >= 3:
        return flags[-3] and not flags[-2] and flags[-1] and word[-1] not in "wxy"
    return len(word) == 2 and not flags[0] and flags[1]


def _positive(stem: str) -> bool:
    return measure(stem) > 0


def _above_one(stem: str) -> bool:
    return measure(stem) > 1


Rule = tuple[str, str, Callable[[str], bool]]


def _first_rule(word: str, rules: list[Rule]) -> str:
    """Apply the rule of the longest-listed matching suffix; if its condition fails, keep the word."""
    for suffix, replacement, condition in rules:
        if word.endswith(suffix):
            stem = word[: len(word) - len(suffix)]
            return stem + replacement if condition(stem) else word
    return word


_STEP2 = [
    ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
    ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
    ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
    ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
    ("fulli", "ful"),
]
_STEP3 = [("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", "")]
_STEP4 = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou",
          "ism", "ate", "iti", "ous", "ive", "ize"]


class PorterStemmer:
    """NLTK-compatible Porter stemmer (``nltk.stem.PorterStemmer()`` default mode).

    Example:
        >>> PorterStemmer().stem("generalizations")
        'gener'
    """

    def stem(self, word: str) -> str:
        """The stem of ``word`` (lower-cased first)."""
        word = word.lower()
        if word in _IRREGULAR:
            return _IRREGULAR[word]
        if len(word) <= 2:
            return word
        for step in (self._step1a, self._step1b, self._step1c, self._step2, self._step3, self._step4, self._step5):
            word = step(word)
        return word

    @staticmethod
    def _step1a(word: str) -> str:
        if word.endswith("ies") and len(word) == 4:  # "dies" -> "die", not "di"
            return word[:-1]
        always = lambda stem: True  # noqa: E731 - rules of step 1a have no condition
        return _first_rule(word, [("sses", "ss", always), ("ies", "i", always), ("ss", "ss", always), ("s", "", always)])

    @staticmethod
    def _step1b(word: str) -> str:
        if word.endswith("ied"):
            return word[:-3] + ("ie" if len(word) == 4 else "i")
        if word.endswith("eed"):
            stem = word[:-3]
            return stem + "ee" if measure(stem) > 0 else word
        for suffix in ("ed", "ing"):
            if word.endswith(suffix) and _has_vowel(word[: -len(suffix)]):
                stem = word[: -len(suffix)]
                break
        else:
            return word
        # tidy the bared stem so later steps see -ate/-ble/-ize, single final consonants, or a restored e
        if stem.endswith(("at", "bl", "iz")):
            return stem + "e"
        if _ends_double_consonant(stem):
            return stem if stem[-1] in "lsz" else stem[:-1]
        if measure(stem) == 1 and _ends_cvc(stem):
            return stem + "e"
        return stem

    @staticmethod
    def _step1c(word: str) -> str:
        # y -> i only after a consonant that is not the whole stem ("happy" -> "happi", "by" kept)
        if word.endswith("y") and len(word) > 2 and _consonant_flags(word[:-1])[-1]:
            return word[:-1] + "i"
        return word

    @classmethod
    def _step2(cls, word: str) -> str:
        if word.endswith("alli") and _positive(word[:-4]):
            return cls._step2(word[:-4] + "al")
        if word.endswith("logi"):  # NLTK: -logi -> -log when the stem before "ogi" has m > 0
            return word[:-1] if _positive(word[:-3]) else word
        return _first_rule(word, [(suffix, repl, _positive) for suffix, repl in _STEP2])

    @staticmethod
    def _step3(word: str) -> str:
        return _first_rule(word, [(suffix, repl, _positive) for suffix, repl in _STEP3])

    @staticmethod
    def _step4(word: str) -> str:
        def ion_condition(stem: str) -> bool:
            return measure(stem) > 1 and stem[-1:] in ("s", "t")

        return _first_rule(word, [(s, "", ion_condition if s == "ion" else _above_one) for s in _STEP4])

    @staticmethod
    def _step5(word: str) -> str:
        # 5a: drop a final e when m > 1, or m == 1 and the stem does not end cvc
        if word.endswith("e"):
            stem = word[:-1]
            m = measure(stem)
            if m > 1 or (m == 1 and not _ends_cvc(stem)):
                word = stem
        # 5b: -ll -> -l when m > 1
        if word.endswith("ll") and measure(word[:-1]) > 1:
            word = word[:-1]
        return word
