"""Markdown → HTML is sanitised: no script, no event handler, no script-bearing URL.

The output of `render_markdown` is parsed (not grepped) and every tag and attribute
is inspected, for a corpus of XSS payloads in raw HTML and in Markdown syntax.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from config.markup import render_markdown

XSS_PAYLOADS = [
    # script tags
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<script type="module">import("//evil.example")</script>',
    "<script>alert(1)",  # unclosed
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    "<body onload=alert(1)>",
    '<a href="https://ok.example" onclick="alert(1)">click</a>',
    "<p/onclick=alert(1)>x</p>",
    '<span ONFOCUS="alert(1)" tabindex=1>x</span>',
    "<details open ontoggle=alert(1)>",
    # javascript:, vbscript:, data: URLs, with case games and entities
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java&#9;script:alert(1)">x</a>',
    '<a href="java&#x0A;script:alert(1)">x</a>',
    '<a href="&#0;javascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&#x3A;alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    # SVG / MathML
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    # frames, objects, forms
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    # style and meta
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    # Markdown link and image syntax
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](<javascript:alert(1)>)",
    "![img](javascript:alert(1))",
    '![img](x" onerror="alert(1))',
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[x](data:text/html,<script>alert(1)</script>)",
    # comments, CDATA, broken markup
    "<!-- <script>alert(1)</script> -->",
    "<!--><script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<a href="https://ok.example"<script>alert(1)</script>>x</a>',
    "<<script>script>alert(1)<</script>/script>",
    '<img """><script>alert(1)</script>">',
    # inside Markdown structures
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |",
    "> <a href='javascript:alert(1)'>quote</a>",
    "* [item](javascript:alert(1))",
]

DANGEROUS_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "style",
    "meta",
    "link",
    "base",
    "form",
    "button",
    "svg",
    "math",
    "img",
    "frame",
    "frameset",
}
URL_ATTRIBUTES = {"href", "src", "xlink:href", "action", "formaction", "data", "srcdoc", "poster"}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def inspect(output: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Inspector()
    parser.feed(output)
    parser.close()
    return parser.tags


def problems_in(output: str) -> list[str]:
    found = []
    if re.search(r"<\s*script", output, re.IGNORECASE):
        found.append("a <script tag")
    for tag, attrs in inspect(output):
        if tag in DANGEROUS_TAGS:
            found.append(f"a <{tag}> tag")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"an event handler {name}= on <{tag}>")
            if name == "style":
                found.append(f"a style attribute on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                # As a browser's URL parser: strip leading/trailing C0 controls and
                # spaces, remove tabs and newlines anywhere.
                trimmed = re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$", "", html.unescape(value))
                squashed = re.sub(r"[\t\n\r]", "", trimmed)
                if BAD_SCHEME.match(squashed):
                    found.append(f"a script-bearing URL {name}={value!r} on <{tag}>")
    return found


def test_the_corpus_is_large_enough():
    assert len(XSS_PAYLOADS) >= 30


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_a_payload_renders_without_script_handlers_or_dangerous_urls(payload):
    output = render_markdown(payload)
    assert problems_in(output) == [], output
    # Also when the payload hides inside ordinary prose.
    output = render_markdown(f"Some context.\n\n{payload}\n\nMore *text*.")
    assert problems_in(output) == [], output


def test_the_inspector_would_notice_each_kind_of_problem():
    # Guards the guard: the checks above are not vacuous.
    assert problems_in("<script>x</script>")
    assert problems_in('<p onclick="x">y</p>')
    assert problems_in('<a href="&#106;avascript:x">y</a>')
    assert problems_in('<a href="java\tscript:x">y</a>')
    assert problems_in('<a href=" \x01javascript:x">y</a>')
    assert problems_in('<a href="data:text/html,x">y</a>')
    assert problems_in('<p style="color:red">y</p>')


def test_links_get_noopener_noreferrer():
    output = render_markdown("See [the article](https://example.com/post) and <https://x.test>.")
    links = [attrs for tag, attrs in inspect(output) if tag == "a"]
    assert len(links) == 2
    for attrs in links:
        assert attrs["href"].startswith("https://")
        assert set(attrs["rel"].split()) == {"noopener", "noreferrer"}


def test_a_raw_html_link_keeps_only_safe_attributes():
    output = render_markdown(
        '<a href="https://ok.example" target="_blank" rel="opener" onclick="x">ok</a>'
    )
    (attrs,) = [a for t, a in inspect(output) if t == "a"]
    assert attrs["href"] == "https://ok.example"
    assert set(attrs["rel"].split()) == {"noopener", "noreferrer"}
    assert "onclick" not in attrs


def test_tables_and_fenced_code_still_render():
    text = (
        "| Option | Cost |\n"
        "|--------|-----:|\n"
        "| BFF    | high |\n"
        "| Defer  | none |\n"
        "\n"
        "```python\n"
        "if token and '<script>' in page:\n"
        "    raise Alarm()\n"
        "```\n"
    )
    output = render_markdown(text)
    tags = [tag for tag, _ in inspect(output)]
    assert {"table", "thead", "tbody", "tr", "th", "td", "pre", "code"} <= set(tags)
    assert "<td>BFF</td>" in output
    # Code is shown, escaped, never executed.
    assert "&lt;script&gt;" in output
    assert problems_in(output) == []


def test_plain_markdown_survives_sanitising():
    output = render_markdown("# Title\n\n**bold**, *em*, `code`\n\n1. one\n2. two\n\n> quote")
    for fragment in ("<h1>Title</h1>", "<strong>bold</strong>", "<em>em</em>", "<ol>", "<code>"):
        assert fragment in output
    assert "<blockquote>" in output


def test_empty_text_renders_to_nothing():
    assert render_markdown("") == ""
    assert render_markdown("   \n") == ""
    assert render_markdown(None) == ""


FAKE_FLASH = (
    '<div class="messages" role="status" id="messages">'
    '<article class="flash flash-error">Your session expired: re-enter your password at '
    '<a href="https://ledger-login.example">the login page</a></article></div>\n\n'
    '<span class="flash flash-success" id="main">Signed.</span>'
)


def test_user_markdown_cannot_wear_the_apps_own_classes_or_ids():
    """The class-spoofing payload: a fake system message styled as the app's flash."""
    output = render_markdown(FAKE_FLASH)
    attributes = [(tag, attrs) for tag, attrs in inspect(output)]
    assert attributes, output
    assert all("class" not in attrs and "id" not in attrs for _, attrs in attributes), output
    assert "Your session expired" in output  # the text stays, as plain text


@pytest.mark.parametrize(
    "payload",
    [
        '<code class="language-python flash">x</code>',
        '<code class="flash language-python">x</code>',
        '<code class="language-"><b>x</b></code>',
        '<pre class="flash"><code>x</code></pre>',
        '<h2 id="content">x</h2>',
        '<td class="flash">x</td>',
    ],
)
def test_only_a_code_language_class_survives(payload):
    output = render_markdown(payload)
    classes = [attrs.get("class") for _, attrs in inspect(output) if "class" in attrs]
    assert classes in ([], ["language-python"]), output
    assert not any("id" in attrs for _, attrs in inspect(output)), output


def test_fenced_code_keeps_its_language_class():
    output = render_markdown("```python\nx = 1\n```")
    assert '<code class="language-python">' in output


def test_a_decision_page_shows_the_fake_flash_without_the_flash_style(postgres, login, architect):
    from adr.services import decision_create, log_create

    log = log_create(actor=architect, key="AUTH", name="Auth")
    decision = decision_create(actor=architect, log=log, title="Tokens", context=FAKE_FLASH)
    page = login(architect).get(f"/decisions/{decision.reference}/").content.decode()
    assert "Your session expired" in page
    assert page.count('class="flash') == 0, "user text must not carry the flash style"
