"""The boilerplate line patterns ``textclean`` applies (English-first; general, never per site)."""

from __future__ import annotations

import re

Q = "['\u2019]?"  # an optional apostrophe, straight or typographic
DASHES = "\u2013\u2014"

BOILERPLATE = re.compile(
    rf"""^(?:
      (?:read|see|watch|listen)\s+(?:more|also|next)\b
    | also\s+(?:read|see|watch)\b
    | (?:more|related)\s*(?:stories|articles|coverage|content|links|reading|news
        |on\s+this\s+story)?\s*:
    | (?:recommended|further\s+reading|you\s+(?:may|might)\s+(?:also\s+)?like
        |most\s+(?:read|popular|viewed)|editor{Q}s\s+picks|top\s+stories|trending(?:\s+now)?
        |more\s+from\b|latest\s+news)\b
    | (?:share|tweet|e-?mail|print)(?:\s+(?:this|the))?(?:\s+(?:article|story|page|post|link))?
        (?:\s+on\s+\w+|\s+via\s+\w+)?\s*[:|]?\s*$
    | (?:share|follow\s+us|find\s+us|like\s+us)\s+on\b
    | (?:e-?mail|print|save|copy\s+link\s+to)\s+this\s+(?:story|article|page|link)\b
    | (?:sign\s+up|subscribe|register|sign\s+in|log\s+in)\b.{{0,80}}
        (?:newsletter|briefing|updates|inbox|free|today|now)\b
    | (?:get|receive)\s+(?:our|the)\b.{{0,60}}(?:newsletter|briefing)\b
    | (?:advertisement|advertising|sponsored(?:\s+content)?|story\s+continues\s+below
        |continue\s+reading\s+below|skip\s+(?:advertisement|ad))\s*$
    | (?:topics|tags|tagged|filed\s+under|categories|keywords)\s*(?::|$)
    | (?:photo(?:graph)?s?|image|picture|pictures|illustration|video|credit)(?:\s+credit)?\s*:
    | (?:\u00a9|\(c\)\s|copyright\b)
    | \(?(?:additional\s+)?(?:reporting|writing|editing|compiled|produced)\s+by\b
        .{{0,200}}\)?\.?\s*$
    | (?:our\s+standards|purchase\s+licensing\s+rights)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
ANYWHERE = re.compile(
    r"""(?:
      \b(?:we|this\s+(?:web)?site|our\s+(?:web)?site|and\s+our\s+partners)\s+uses?\s+cookies\b
    | \bcookie\s+(?:policy|settings|preferences|consent)\b
    | \ball\s+rights\s+reserved\b
    | \bmay\s+not\s+be\s+(?:re)?published,\s+broadcast
    | \bto\s+join\s+the\s+(?:conversation|discussion)\b
    | \b(?:sign\s+up|subscribe)\b.{0,60}\b(?:newsletter|briefing)\b
    | \bthis\s+(?:story|article)\s+was\s+(?:first|originally)\s+published\s+(?:by|on|in)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
BYLINE = re.compile(
    rf"^(?:by|from|words\s+by|written\s+by)\s+[\w.'\u2019-]+(?:\s+[\w.'\u2019-]+){{0,5}}"
    rf"(?:\s*(?:,|and|&|\||\u00b7|-|[{DASHES}])\s*[\w.'\u2019 -]{{0,60}})?$",
    re.IGNORECASE,
)
DATELINE = re.compile(
    r"^(?:posted|published|updated|last\s+updated|first\s+published|modified)\b"
    r"\s*(?:on|at)?\s*:?.{0,60}$",
    re.IGNORECASE,
)
TEASER_END = re.compile(
    r"""(?:
      (?:subscribe|sign\s+in|log\s*in|register|become\s+a\s+(?:member|subscriber)
        |create\s+(?:a\s+)?free\s+account)
        \b.{0,80}\b(?:to\s+(?:continue|read|keep\s+reading|access|unlock|view)
        |for\s+(?:full|unlimited)\s+access)
    | ^(?:to\s+)?(?:continue|keep)\s+reading\b
    | \bthis\s+(?:article|story|content)\s+is\s+(?:for|available\s+to|reserved\s+for
        |exclusive\s+to)\s+(?:subscribers|members|premium)
    | \balready\s+a\s+(?:subscriber|member)\?
    )""",
    re.IGNORECASE | re.VERBOSE,
)
COMMENTS_HEADER = re.compile(
    rf"""^(?:
      (?:\d+\s+)?(?:readers?{Q}|users?{Q}|your|latest|top|all)?\s*
        (?:comments?|responses?|replies)\s*(?:\(\d+\))?\s*:?
    | (?:join|start|read)\s+the\s+(?:conversation|discussion|debate)\b.{{0,40}}
    | (?:leave|post|add|write)\s+a\s+(?:comment|reply|response)\b.{{0,40}}
    | (?:show|view|load|see)\s+(?:all\s+)?(?:\d+\s+)?comments?\b.{{0,20}}
    | (?:have\s+your\s+say|what\s+do\s+you\s+think\?)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
SHARE_WORDS = frozenset(
    [
        "share",
        "facebook",
        "twitter",
        "x",
        "whatsapp",
        "linkedin",
        "pinterest",
        "reddit",
        "email",
        "e-mail",
        "print",
        "copy",
        "link",
        "messenger",
        "telegram",
        "tweet",
        "save",
        "comment",
        "comments",
        "flipboard",
        "mail",
    ]
)
