"""Generate the tokenizer parity corpus: tests/tokenizers/data/corpus.jsonl.

Deterministic (fixed seed, no external data): running it again rewrites the same file.
Each line is one JSON string. The corpus mixes the text kinds tokenizers trip over:
prose, code, URLs, many scripts, emoji and ZWJ sequences, combining marks, control
characters, odd whitespace, compatibility characters, very long words, empty strings,
and added/special tokens (whole, partial, glued to words, surrounded by spaces).

Usage: python tests/tokenizers/make_corpus.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "corpus.jsonl"
N_RANDOM = 1700

PROSE = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello, world! How are you doing today?",
    "I can't believe it's already 2024 -- time flies when you're having fun.",
    "She said: \"Don't touch that!\" and left the room.",
    "We'll meet at 10:30am, won't we? I'd rather not be late.",
    "The U.S.A. and the U.K. signed the treaty on Jan. 5th, 1999.",
    "Prices rose 12.5% (from $1,234.56 to $1,388.88) in Q3.",
    "Tokenization is the process of splitting text into smaller units called tokens.",
    "In 1492, Columbus sailed the ocean blue; in 1969, Apollo 11 landed on the Moon.",
    "e-mail me at john.doe+test@example.com or call +1 (555) 010-9999.",
    "Mr. O'Neill's dog -- a well-behaved, 3-year-old Labrador -- barked twice.",
    "THIS IS SHOUTING. this is whispering. ThIs Is WeIrD.",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000 3.14159 2,718 1e-10 -42",
    "Ellipsis... and em—dash and en–dash and ‘curly’ “quotes” «guillemets».",
    "Résumé, naïve café, coöperate, jalapeño, São Paulo, Zürich, Ærøskøbing.",
    "Straße, Fußgänger, ÀÉÎÕÜ, çÇ, ñÑ, ıİ, ǅ, ﬁne ﬂower, œuvre.",
    "ΟΔΟΣ οδός Σίσυφος ΣΊΣΥΦΟΣ — Greek final sigma test.",
    "Привет, как дела? Съешь же ещё этих мягких французских булок.",
    "Hello\tworld\nnew line\r\nwindows line\rcarriage return",
]

CODE = [
    "def foo(x: int) -> int:\n    return x ** 2  # square",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "const f = (a, b) => a?.b ?? 'default';",
    "SELECT * FROM users WHERE id = 42 AND name LIKE '%bob%';",
    "if __name__ == \"__main__\":\n\tmain()",
    "<div class=\"container\"><p>Hello &amp; welcome</p></div>",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null, \"b\": true}}",
    "git commit -m 'fix: handle edge-case' && git push origin main",
    "x = [i**2 for i in range(10) if i % 2 == 0]",
    "fn main() { println!(\"{}\", 1 + 1); }",
    "#include <stdio.h>\nint main(void) { printf(\"hi\\n\"); }",
    "    indented with spaces\n\t\tand tabs\n",
    "a==b!=c<=d>=e->f::g||h&&i",
    "snake_case_identifier camelCaseIdentifier PascalCase SCREAMING_CASE kebab-case",
]

URLS = [
    "https://www.example.com/path/to/page?query=1&other=two#section",
    "http://localhost:8080/api/v1/users/123",
    "ftp://files.example.org/pub/README.txt",
    "Visit https://huggingface.co/bert-base-uncased for details.",
    "www.google.com/search?q=tokenizers+rust",
    "mailto:someone@example.com?subject=Hi%20there",
    "https://ja.wikipedia.org/wiki/日本語",
]

SCRIPTS = [
    "我爱自然语言处理。今天天气很好！",
    "北京是中国的首都，上海是最大的城市。",
    "日本語のテキストです。カタカナとひらがなと漢字。",
    "東京タワーは高さ333メートルです。ラーメンが好きー",
    "한국어 텍스트입니다. 안녕하세요!",
    "서울특별시는 대한민국의 수도이다.",
    "مرحبا بالعالم! هذا نص عربي.",
    "اللغة العربية جميلة ١٢٣ ٤٥٦",
    "नमस्ते दुनिया! यह हिंदी पाठ है।",
    "क्षत्रिय द्वार श्री",
    "שלום עולם! זה טקסט בעברית.",
    "สวัสดีชาวโลก นี่คือข้อความภาษาไทย",
    "Γειά σου Κόσμε! Αυτό είναι ελληνικό κείμενο.",
    "Tiếng Việt có nhiều dấu: ắ ằ ẳ ẵ ặ ệ ộ ự.",
    "ქართული ენა, Հայերեն լեզու, አማርኛ ቋንቋ",
    "தமிழ் மொழி, తెలుగు భాష, ಕನ್ನಡ ಭಾಷೆ, മലയാളം",
    "Mixed: English 中文 日本語 한국어 العربية हिन्दी in one line.",
    "𠀋𠂉𠃌 rare CJK extension B characters 𪚲",
]

EMOJI = [
    "I love it 😀😃😄😁",
    "Family: 👨‍👩‍👧‍👦 and 👩‍❤️‍💋‍👨 and 🏳️‍🌈",
    "Flags 🇫🇷🇩🇪🇯🇵🇺🇸 and skin tones 👍🏻👍🏼👍🏽👍🏾👍🏿",
    "Keycaps 1️⃣ 2️⃣ #️⃣ and hearts ❤️ 💔 ♥",
    "Newer emoji: 🥰 🫠 🫶 🪿 🫨",
    "Emoji glued😀to😀words😀",
    "🙂",
    "✨🔥💯🚀",
]

COMBINING = [
    "e\u0301 a\u0300 o\u0308 n\u0303 c\u0327",
    "Ame\u0301lie cafe\u0301",
    "a\u0301\u0323 e\u0323\u0302 o\u031b\u0301",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357\u0334\u0362\u0335\u031c\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030e\u0305\u035b\u0341\u0334\u033b\u0348\u034d\u0354\u0339O\u0342\u030c\u030c\u0358\u0328\u0335\u0339\u033b\u031d\u0333",
    "\u0301 leading combining mark",
    "\u1100\u1161\u11a8 jamo \u1112\u1161\u11ab\u1100\u1173\u11af",
    "ḱṷṓn ǘ ǖ ǚ",
    "\u0915\u094d\u0937 \u0928\u093f",
]

CONTROL = [
    "null\x00byte",
    "bell\x07 and escape\x1b[31mred\x1b[0m",
    "soft\u00adhyphen and zero\u200bwidth and joiner\u200d and non\u200cjoiner",
    "BOM\ufeffinside and replacement \ufffd char",
    "delete\x7f and C1\x85next-line\x9fcontrol",
    "info separators \x1c\x1d\x1e\x1f between",
    "direction \u200e\u200f\u202a\u202b\u202c\u202d\u202e marks",
    "private use \ue000\uf8ff and tag \U000e0041\U000e007f",
    "vertical\x0btab and form\x0cfeed",
    "\x00\x01\x02\x03",
    "line\u2028separator and paragraph\u2029separator",
]

WHITESPACE = [
    " leading space",
    "trailing space ",
    "  two  spaces  everywhere  ",
    "multiple     spaces     here",
    "\t\ttabs\t\tand\t\ttabs",
    "\n\nnewlines\n\n\nmany\n",
    "\r\n\r\n",
    "no-break\u00a0space, em\u2003space, ideographic\u3000space, thin\u2009space",
    "ogham\u1680space and narrow\u202fnbsp and math\u205fspace",
    "   ",
    "\t",
    "\n",
    " \u00a0 \u3000 ",
    "a \n b \t c \r d",
]

COMPAT = [
    "ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ",
    "① ② ③ ⑩ ⑴ ⒈ Ⅻ ⅻ",
    "ＡＢＣ ａｂｃ １２３ ！？",
    "㎏ ㎞ ㎡ ℃ ℉ № ™ ℡",
    "½ ¼ ¾ ⅓ x² y³ H₂O",
    "ｶﾀｶﾅ halfwidth katakana ﾊﾝｶｸ",
    "Å Ω K (angstrom, ohm, kelvin signs)",
    "µ vs μ, ſ long s, ǆ digraph",
    "…  ‥ ⁇ ⁈",
    "ℌ𝔢𝔩𝔩𝔬 𝐁𝐨𝐥𝐝 𝑰𝒕𝒂𝒍𝒊𝒄",
]

SPECIAL = [
    "[CLS] hello [SEP] world [SEP]",
    "[CLS][SEP][PAD][MASK][UNK]",
    "The answer is [MASK].",
    "[cls] lowercase special [sep]",
    "[CL S] broken [SEP",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>",
    "<|endoftext|>",
    "text<|endoftext|>text",
    "<|im_start|><|im_start|><|im_end|>",
    "<|im_start",
    "<s> hello </s>",
    "<s>hello</s><pad><unk><mask>",
    "<EOT><META><META_START>meta<META_END><SOS>",
    "  [MASK]  spaced  <|im_end|>  ",
    "a[SEP]b<s>c</s>d",
]

WORDS = (
    "the of and to in is was for that with as on by at from it an be this which or are not but "
    "have had has were their one all there been its also more who when can into than them only "
    "tokenizer tokenization embedding transformer attention gradient normalization pretrained "
    "unbelievably antidisestablishmentarianism supercalifragilisticexpialidocious "
    "running runner ran jumped jumping jumps happily unhappiness redo undo preprocessing "
    "COVID-19 GPT-2 BERT-base iPhone eBay McDonald's O'Reilly don't won't y'all it's "
    "Zürich Düsseldorf naïve résumé façade señor Ærø Øl Ångström smörgåsbord "
    "東京 北京 서울 Москва Αθήνα القاهرة दिल्ली Yerevan"
).split()
PUNCT = list(".,;:!?-()[]{}\"'/\\@#$%^&*_+=<>|~`…—–«»¿¡")
SPECIAL_TOKENS = ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<s>", "</s>", "<EOT>"]
SPACES = [" ", " ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u3000", "\r\n"]
EMOJI_ATOMS = ["😀", "👍🏽", "👨‍👩‍👧", "🇯🇵", "❤️", "🥰", "🫠"]


def random_text(rng: random.Random) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(1, 40)):
        r = rng.random()
        if r < 0.55:
            word = rng.choice(WORDS)
            style = rng.random()
            if style < 0.15:
                word = word.upper()
            elif style < 0.3:
                word = word.capitalize()
            parts.append(word)
        elif r < 0.68:
            parts.append(rng.choice(PUNCT))
        elif r < 0.76:
            parts.append(str(rng.randint(0, 10 ** rng.randint(1, 12))))
        elif r < 0.82:
            parts.append(rng.choice(SPECIAL_TOKENS))
        elif r < 0.87:
            parts.append(rng.choice(EMOJI_ATOMS))
        elif r < 0.92:
            parts.append("".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(rng.randint(1, 6))))
        elif r < 0.95:
            parts.append("".join(rng.choice("aeiou") + rng.choice(["\u0301", "\u0308", "\u0323", ""]) for _ in range(3)))
        elif r < 0.97:
            parts.append(chr(rng.choice([0x00, 0x07, 0x1B, 0x7F, 0x85, 0x200B, 0xFEFF, 0xFFFD, 0xAD])))
        else:
            parts.append(rng.choice(["ﬁ", "①", "Ａ", "㎏", "½", "Ω", "ǅ", "İ", "ß", "Σ"]))
        glue = rng.random()
        if glue < 0.8:
            parts.append(" ")
        elif glue < 0.9:
            parts.append(rng.choice(SPACES))
    text = "".join(parts)
    if rng.random() < 0.5:
        text = text.strip(" ")
    return text


def long_cases(rng: random.Random) -> list[str]:
    return [
        "a" * 250,
        "x" * 101,
        "Pneumonoultramicroscopicsilicovolcanoconiosis" * 4,
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(600)),
        "9" * 120,
        "日本" * 150,
        "é" * 200,
        "😀" * 60,
        " ".join(["word"] * 300),
        "-" * 80,
        "ab" * 120 + " " + "cd" * 120,
    ]


def build() -> list[str]:
    rng = random.Random(20240611)
    corpus: list[str] = ["", "", " ", "a", "A", ".", "\u2581", "\u2581hello \u2581world"]
    for group in (PROSE, CODE, URLS, SCRIPTS, EMOJI, COMBINING, CONTROL, WHITESPACE, COMPAT, SPECIAL):
        corpus.extend(group)
    corpus.extend(long_cases(rng))
    # Pairwise mixes of the hand-written groups, so every kind meets every other.
    hand = PROSE + CODE + URLS + SCRIPTS + EMOJI + COMBINING + CONTROL + WHITESPACE + COMPAT + SPECIAL
    for _ in range(250):
        a, b = rng.choice(hand), rng.choice(hand)
        corpus.append(a + rng.choice(SPACES + [""]) + b)
    for _ in range(N_RANDOM):
        corpus.append(random_text(rng))
    return corpus


def main() -> None:
    corpus = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="\n") as handle:
        for text in corpus:
            handle.write(json.dumps(text, ensure_ascii=True) + "\n")
    print(f"wrote {len(corpus)} strings, {OUT.stat().st_size} bytes to {OUT}")


if __name__ == "__main__":
    main()
